"""The maker's self-check: reads a written day back from its files (as text, not from the model)
and holds truth.json to it.

- Every record id in the OMS export and every broker file is in exactly one truth match, break or
  exclusion; every truth id exists.
- Every truth match agrees within docs/matching.md's default tolerances (same fund account after
  the cross-reference, instrument, side, trade and settle date; summed quantity equal; VWAPs
  within the price tolerance; commission + fees within 0.01 per record of the larger side).
- Every mismatch break differs in its named attribute, beyond tolerance, and agrees on the others.
- The drop copy, replayed from the FIX files (corrections, busts, PossDup resends), has exactly
  the effective executions truth names; each is in exactly one drop-copy match or break, as is
  every internal record; drop-copy matches agree within tolerance.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from tests.holdout.day import COMMISSION_ABS, price_tol
from tests.holdout.layouts import BROKER_FILES, read_rows
from tests.holdout.universe import build_universe

D = Decimal
MISMATCH = {"QUANTITY_MISMATCH": "qty", "PRICE_MISMATCH": "price", "SIDE_MISMATCH": "side",
            "ACCOUNT_MISMATCH": "account", "SETTLEMENT_DATE_MISMATCH": "settle", "COMMISSION_MISMATCH": "charges"}


class Resolver:
    """Identifier -> the universe's instrument, by the rules the holdout's sources follow."""

    def __init__(self, trade_date: date):
        self.insts = {i.key: i for i in build_universe(trade_date)}
        self.index: dict[tuple[str, str], str] = {}
        for i in self.insts.values():
            for kind, value in (("isin", i.isin), ("cusip", i.cusip), ("sedol", i.sedol), ("future", i.future_code),
                                ("fx", i.pair)):
                if value:
                    self.index[(kind, value)] = i.key
            if i.occ:
                self.index[("occ", i.occ.replace(" ", ""))] = i.key
            if i.ticker and i.asset_class in ("equity", "etf"):
                self.index[("ticker", i.ticker)] = i.key
            if i.future_root:
                self.index[("future_month", f"{i.future_root}|{i.future_month}")] = i.key

    def get(self, kind: str, value: str) -> str | None:
        value = value.replace(" ", "") if kind == "occ" else value.replace("/", "") if kind == "fx" else value
        return self.index.get((kind, value))

    def fix(self, m: dict) -> str | None:
        st, sym, sid, src = m.get("167"), m.get("55", ""), m.get("48"), m.get("22")
        if st == "OPT":
            if sid and src == "8":
                return self.get("occ", sid)
            if re.fullmatch(r"[A-Z]{1,6}\d{6}[CP]\d{8}", sym.replace(" ", "")):
                return self.get("occ", sym)
            mmy = m.get("200", "")
            exp = m.get("541") or (mmy if len(mmy) == 8 else mmy + f"{int(m.get('205', '0')):02d}")
            pc = "C" if m.get("201") == "1" else "P"
            strike = int(D(m["202"]) * 1000)
            return self.get("occ", f"{sym}{exp[2:]}{pc}{strike:08d}")
        if st == "FUT":
            if m.get("200"):
                return self.get("future_month", f"{sym}|{m['200']}")
            if sid and src == "8":
                return self.get("future", sid)
            return self.get("future", sym)
        if st == "FOR":
            return self.get("fx", sym)
        if sid:
            return self.get({"4": "isin", "1": "cusip", "2": "sedol"}[src], sid)
        return self.get("ticker", sym) or self.get("future", sym)


# ---- reading the CSV files -----------------------------------------------------------------------


def _d(text: str) -> Decimal:
    return D(text) if text else D(0)


def read_oms(path: Path, res: Resolver) -> dict[str, dict]:
    out = {}
    side = {"B": "buy", "S": "sell", "SS": "sell_short", "BC": "buy_to_cover"}
    kinds = {"ISIN": "isin", "OCC": "occ", "FUT": "future", "FX": "fx"}
    for r in read_rows(path, ","):
        out[r["fillId"]] = {
            "account": r["account"], "broker": r["primeBroker"], "inst": res.get(kinds[r["idType"]], r["securityId"]),
            "side": side[r["side"]], "qty": D(r["quantity"]), "price": D(r["price"]),
            "charges": _d(r["commission"]) + sum(_d(r[c]) for c in ("secFee", "tafFee", "stampDuty", "exchFee")),
            "trade_date": date.fromisoformat(r["tradeDate"]), "settle": date.fromisoformat(r["settleDate"]),
            "order": r["orderId"], "status": r["status"],
        }
    return out


def read_broker(key: str, path: Path, res: Resolver, xref: dict) -> dict[str, dict]:
    _, delim, trailer, id_col = BROKER_FILES[key]
    out = {}
    for r in read_rows(path, delim, trailer):
        if key == "kestrel":
            kinds = {"ISIN": "isin", "OCC": "occ", "FUT": "future", "CCYPAIR": "fx"}
            side = {"BUY": "buy", "SELL": "sell", "SHORT": "sell_short", "COVER": "buy_to_cover"}[r["Side"]]
            rec = {"account": r["Account No"], "inst": res.get(kinds[r["Sec ID Type"]], r["Sec ID"]), "side": side,
                   "qty": D(r["Quantity"]), "price": D(r["Price"]),
                   "charges": _d(r["Commission"]) + _d(r["Exch Fees"]) + _d(r["Reg Fees"]),
                   "trade_date": datetime.strptime(r["Trade Date"], "%d-%b-%Y").date(),
                   "settle": datetime.strptime(r["Settle Date"], "%d-%b-%Y").date(), "order": r["Client Order ID"],
                   "status": r["Status"]}
        elif key == "ashgrove":
            kinds = {"C": "cusip", "S": "sedol", "I": "isin", "O": "occ"}
            q = D(r["qty"])
            flag = r["short_cover"]
            side = ("sell_short" if flag in ("S", "X") else "sell") if q < 0 else ("buy_to_cover" if flag == "C" else "buy")
            rec = {"account": r["acct"], "inst": res.get(kinds[r["id_type"]], r["sec_id"]), "side": side, "qty": abs(q),
                   "price": D(r["price"]), "charges": _d(r["comm"]) + _d(r["sec_fee"]) + _d(r["other_fee"]),
                   "trade_date": datetime.strptime(r["trd_dt"], "%m/%d/%Y").date(),
                   "settle": datetime.strptime(r["stl_dt"], "%m/%d/%Y").date(), "order": r["order_ref"],
                   "status": "NEW"}
        else:
            kinds = {"FUT": "future", "FX": "fx", "BND": "isin", "EQ": "ticker"}
            side = {"B": "buy", "S": "sell", "SS": "sell_short", "BTC": "buy_to_cover"}[r["B_S"]]
            rec = {"account": r["ACCOUNT"], "inst": res.get(kinds[r["PRODUCT"]], r["SYMBOL"]), "side": side,
                   "qty": D(r["QUANTITY"]), "price": D(r["PRICE"]),
                   "charges": _d(r["COMMISSION"]) + _d(r["CLEARING_FEE"]),
                   "trade_date": datetime.strptime(r["TRADE_DATE"], "%Y%m%d").date(),
                   "settle": datetime.strptime(r["VALUE_DATE"], "%Y%m%d").date(), "order": r["CLIENT_ORD"],
                   "status": "NEW"}
        rec["fund_account"] = xref.get(rec["account"])
        out[r[id_col]] = rec
    return out


# ---- reading the FIX files -----------------------------------------------------------------------


def fix_messages(path: Path) -> list[tuple[int, dict, bytes]]:
    """(line, fields, wire bytes with SOH) per message; any prefix before 8= is dropped."""
    out = []
    for n, line in enumerate(path.read_bytes().split(b"\n"), 1):
        if not line.strip():
            continue
        k = line.find(b"8=FIX")
        wire = line[k:].replace(b"|", b"\x01")
        fields = {}
        for part in wire.rstrip(b"\x01").split(b"\x01"):
            tag, _, value = part.partition(b"=")
            fields.setdefault(tag.decode(), value.decode("latin-1"))
        out.append((n, fields, wire))
    return out


def wire_ok(wire: bytes) -> str | None:
    """BodyLength and CheckSum of one SOH message, checked by hand."""
    m = re.match(rb"8=[^\x01]+\x019=(\d+)\x01", wire)
    if not m:
        return "no BeginString/BodyLength"
    start = m.end()
    k = wire.rfind(b"\x0110=")
    if k + 1 - start != int(m.group(1)):
        return f"BodyLength {m.group(1).decode()} != {k + 1 - start}"
    if int(wire[k + 4:k + 7]) != sum(wire[: k + 1]) % 256:
        return "CheckSum"
    return None


def replay(path: Path) -> dict:
    """Effective executions of a drop-copy file: {original ExecID: fields of the last version}."""
    units: dict[str, dict] = {}
    alias: dict[str, str] = {}  # any ExecID in a chain -> the original
    busted: list[str] = []
    seen: set[str] = set()
    dups = 0
    for _, m, _ in fix_messages(path):
        if m.get("35") != "8":
            continue
        eid = m["17"]
        if eid in seen and (m.get("43") == "Y" or m.get("97") == "Y"):
            dups += 1
            continue
        seen.add(eid)
        v42 = m["8"] == "FIX.4.2"
        if v42:
            action = {"0": "book" if m.get("150") in ("1", "2") else None, "2": "correct", "1": "bust"}.get(m["20"])
        else:
            action = {"F": "book", "G": "correct", "H": "bust"}.get(m["150"])
        if action == "book":
            units[eid] = m
            alias[eid] = eid
        elif action in ("correct", "bust"):
            orig = alias[m["19"]]
            if action == "correct":
                units[orig] = m
                alias[eid] = orig
            else:
                units.pop(orig)
                busted.append(orig)
    return {"units": units, "busted": busted, "dups": dups}


# ---- the check -----------------------------------------------------------------------------------


def _agg(recs: list[dict]) -> dict:
    q = sum((r["qty"] for r in recs), D(0))
    return {"qty": q, "vwap": sum((r["qty"] * r["price"] for r in recs), D(0)) / q if q else D(0),
            "charges": None if any(r["charges"] is None for r in recs) else sum((r["charges"] for r in recs), D(0)),
            "n": len(recs),
            "accounts": {r.get("fund_account", r.get("account")) for r in recs},
            "insts": {r["inst"] for r in recs}, "sides": {r["side"] for r in recs},
            "settles": {r["settle"] for r in recs}, "dates": {r["trade_date"] for r in recs}}


def _differences(a: dict, b: dict, asset_class: str, side_equiv=None) -> set[str]:
    diff = set()
    if a["accounts"] != b["accounts"]:
        diff.add("account")
    if a["insts"] != b["insts"] or None in a["insts"] | b["insts"]:
        diff.add("instrument")
    sa, sb = a["sides"], b["sides"]
    if side_equiv:
        if not all(side_equiv(x, y) for x in sa for y in sb):
            diff.add("side")
    elif sa != sb:
        diff.add("side")
    if a["dates"] != b["dates"]:
        diff.add("trade_date")
    if a["settles"] != b["settles"]:
        diff.add("settle")
    if a["qty"] != b["qty"]:
        diff.add("qty")
    if abs(a["vwap"] - b["vwap"]) > price_tol(asset_class, b["vwap"]):
        diff.add("price")
    if a.get("charges") is not None and b.get("charges") is not None and \
            abs(a["charges"] - b["charges"]) > COMMISSION_ABS * max(a["n"], b["n"]):
        diff.add("charges")
    return diff


def check_day(day_dir: str | Path) -> list[str]:
    """Problems found (empty when the day and its truth agree)."""
    root = Path(day_dir)
    truth = json.loads((root / "truth.json").read_text())
    meta = truth["meta"]
    d = date.fromisoformat(meta["trade_date"])
    res = Resolver(d)
    files = meta["files"]
    problems: list[str] = []
    xref_rows = read_rows(root / files["account_xref"], ",")
    code_of = {k: v["code"] for k, v in meta["brokers"].items()}
    xref = {(r["broker"], r["broker_account"]): r["account"] for r in xref_rows}
    oms = read_oms(root / files["internal"][0], res)
    brokers = {}
    for key, rel in files["brokers"].items():
        bx = {acct: fund for (code, acct), fund in xref.items() if code == code_of[key]}
        brokers[key] = read_broker(key, root / rel, res, bx)
    all_broker = {rid: (key, r) for key, rows in brokers.items() for rid, r in rows.items()}
    if len(all_broker) != sum(len(v) for v in brokers.values()):
        problems.append("a record id is used by two broker files")

    # 1. every record in exactly one truth unit (broker recon)
    seen_int, seen_brk = Counter(), Counter()
    for unit in [*truth["matches"], *truth["breaks"]]:
        seen_int.update(unit["internal"])
        seen_brk.update(unit["broker"])
    for e in truth["excluded"]:
        (seen_int if e["source"] == "internal" else seen_brk)[e["record_id"]] += 1
    for rid in oms:
        if seen_int[rid] != 1:
            problems.append(f"internal {rid}: in {seen_int[rid]} truth units")
    for rid in all_broker:
        if seen_brk[rid] != 1:
            problems.append(f"broker {rid}: in {seen_brk[rid]} truth units")
    problems += [f"truth names internal {r} not in the OMS file" for r in seen_int if r not in oms]
    problems += [f"truth names broker {r} not in any broker file" for r in seen_brk if r not in all_broker]
    for e in truth["excluded"]:
        rec = oms.get(e["record_id"]) if e["source"] == "internal" else all_broker.get(e["record_id"], (0, None))[1]
        if rec and rec["trade_date"] == d and rec["status"] not in ("CANCELLED", "CANCEL"):
            problems.append(f"excluded {e['record_id']} is neither filtered nor of another trade date")
    # 2. matches within tolerance, breaks differ in exactly their attribute
    for unit in truth["matches"]:
        left = [oms[i] for i in unit["internal"]]
        right = [all_broker[i][1] for i in unit["broker"]]
        ac = res.insts[left[0]["inst"]].asset_class if left[0]["inst"] else "default"
        diff = _differences(_agg(left), _agg(right), ac)
        if diff:
            problems.append(f"match {unit['internal'][:3]} / {unit['broker'][:3]} differs in {sorted(diff)}")
    for unit in truth["breaks"]:
        t = unit["type"]
        if t in MISSING_TYPES:
            ok = bool(unit["internal"]) != bool(unit["broker"]) and (
                (t == "MISSING_AT_BROKER") == bool(unit["internal"]))
            if not ok:
                problems.append(f"{t} {unit} is not one-sided the right way")
            continue
        if t == "DUPLICATE":
            ids = unit["internal"] or unit["broker"]
            src = oms if unit["internal"] else {k: v for k, (_, v) in all_broker.items()}
            a, b = src[ids[0]], src[unit["duplicate_of"]]
            keys = ("account", "inst", "side", "qty", "price", "trade_date", "settle")
            if any(a[k] != b[k] for k in keys):
                problems.append(f"DUPLICATE {ids[0]} is not a copy of {unit['duplicate_of']}")
            continue
        left = [oms[i] for i in unit["internal"]]
        right = [all_broker[i][1] for i in unit["broker"]]
        ac = res.insts[left[0]["inst"]].asset_class
        diff = _differences(_agg(left), _agg(right), ac)
        want = MISMATCH[t]
        consequential = {"charges"} if want in ("qty", "price", "side") else set()
        if want not in diff or diff - {want} - consequential:
            problems.append(f"{t} {unit['internal'][:3]} / {unit['broker'][:3]} differs in {sorted(diff)}")
    # 3. the drop copy
    problems += _check_dropcopy(root, truth, oms, res, xref, code_of)
    return problems


MISSING_TYPES = ("MISSING_AT_BROKER", "MISSING_INTERNALLY")
FIX_SIDE = {"1": {"buy", "buy_to_cover"}, "2": {"sell"}, "5": {"sell_short"}, "6": {"sell_short"}}


def _check_dropcopy(root: Path, truth: dict, oms: dict, res: Resolver, xref: dict, code_of: dict) -> list[str]:
    problems = []
    dc = truth["dropcopy"]
    effective: dict[str, tuple[str, dict]] = {}
    for name, sess in dc["sessions"].items():
        path = root / "dropcopy" / name
        for line, _, wire in fix_messages(path):
            bad = wire_ok(wire)
            if bad:
                problems.append(f"{name}:{line}: {bad}")
        r = replay(path)
        if set(r["units"]) != set(sess["effective"]):
            problems.append(f"{name}: replayed effective executions differ from truth "
                            f"({len(r['units'])} vs {len(sess['effective'])})")
        if sorted(r["busted"]) != sorted(sess["busted"]):
            problems.append(f"{name}: busted executions differ from truth")
        if r["dups"] != sess["possdup_resends"]:
            problems.append(f"{name}: {r['dups']} resends replayed, truth says {sess['possdup_resends']}")
        for eid, m in r["units"].items():
            effective[eid] = (sess["broker"], m)
    seen_int, seen_brk = Counter(), Counter()
    for unit in [*dc["matches"], *dc["breaks"]]:
        seen_int.update(unit["internal"])
        seen_brk.update(unit["broker"])
    excluded = {e["record_id"] for e in truth["excluded"] if e["source"] == "internal"}
    for rid in oms:
        if rid not in excluded and seen_int[rid] != 1:
            problems.append(f"drop copy: internal {rid} in {seen_int[rid]} truth units")
    for eid in effective:
        if seen_brk[eid] != 1:
            problems.append(f"drop copy: execution {eid} in {seen_brk[eid]} truth units")
    problems += [f"drop copy truth names {e} which is not effective" for e in seen_brk if e not in effective]

    def fix_rec(broker: str, m: dict) -> dict:
        acct = m["1"]
        fund = acct if broker == "ashgrove" else xref.get((code_of[broker], acct))
        return {"fund_account": fund, "inst": res.fix(m), "side": m["54"], "qty": D(m["32"]), "price": D(m["31"]),
                "settle": datetime.strptime(m["64"], "%Y%m%d").date(),
                "trade_date": datetime.strptime(m["75"], "%Y%m%d").date(), "charges": None}

    def equiv(internal_side: str, fix_side: str) -> bool:
        return internal_side in FIX_SIDE.get(fix_side, set())

    for unit in dc["matches"]:
        left = [{**oms[i], "charges": None} for i in unit["internal"]]
        right = [fix_rec(*effective[e]) for e in unit["broker"]]
        ac = res.insts[left[0]["inst"]].asset_class
        a, b = _agg(left), _agg(right)
        a["charges"] = b["charges"] = None
        diff = _differences(a, b, ac, side_equiv=equiv)
        if diff:
            problems.append(f"drop copy match {unit['internal'][:2]} / {unit['broker'][:2]} differs in {sorted(diff)}")
    for unit in dc["breaks"]:
        if unit["type"] in MISSING_TYPES or unit["type"] == "DUPLICATE":
            continue
        a = _agg([oms[i] for i in unit["internal"]])
        b = _agg([fix_rec(*effective[e]) for e in unit["broker"]])
        a["charges"] = b["charges"] = None
        diff = _differences(a, b, res.insts[next(iter(a["insts"]))].asset_class, side_equiv=equiv)
        if MISMATCH[unit["type"]] not in diff or len(diff) != 1:
            problems.append(f"drop copy {unit['type']} {unit['internal']} / {unit['broker']} differs in {sorted(diff)}")
    return problems
