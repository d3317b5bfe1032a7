"""truth.json is complete, adds up, and every relation it states holds in the files."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import time
from decimal import Decimal

from genday_helpers import BREAK_RATE, N_TRADES, rules

from recon.model import BreakType

RULES = rules()
BUYS = {"buy", "buy_to_cover"}


def tol(day, row) -> Decimal:
    r = RULES[day.master.instruments[row["instrument_id"]].asset_class]
    return max(r["price_abs"], r["price_bps"] / 10000 * abs(row["price"]))


def all_rows(day) -> dict[str, dict]:
    out = dict(day.internal)
    for rows in day.broker.values():
        out.update(rows)
    return out


def test_every_record_is_in_exactly_one_place(day):
    placed: Counter = Counter()
    for entry in day.truth["matches"] + day.truth["breaks"]:
        placed.update(entry["internal"] + entry["broker"])
    placed.update(e["record_id"] for e in day.truth["excluded"])
    written = set(day.internal) | set(day.internal_dropped)
    for b in day.broker:
        written |= set(day.broker[b]) | set(day.broker_dropped[b])
    assert set(placed) == written
    assert [rid for rid, n in placed.items() if n != 1] == []


def test_counts_add_up(day):
    c = day.truth["counts"]
    assert c["internal_rows"] == len(day.internal) + len(day.internal_dropped)
    for b in day.broker:
        assert c["broker_rows"][b] == len(day.broker[b]) + len(day.broker_dropped[b])
    for side, rows in (("internal", c["internal_rows"]), ("broker", c["broker_rows_total"])):
        assert sum(c[side].values()) == rows
    assert sum(c["breaks"].values()) == len(day.truth["breaks"])
    assert sum(c["matches"].values()) == len(day.truth["matches"])


def test_break_rate_and_every_type(day):
    # anomalies booked on a broken link add their break on top of the injected ones
    anomalous = {i for a in day.truth["anomalies"] for i in a["internal"]}
    injected = [b for b in day.truth["breaks"] if not set(b["internal"]) & anomalous]
    assert len(injected) == round(N_TRADES * BREAK_RATE)
    assert {b["type"] for b in injected} == {t.value for t in BreakType} - {"ANOMALY"}
    spread = Counter(b["type"] for b in injected).values()
    assert max(spread) - min(spread) <= 1  # types cycle evenly


def test_matches_hold(day):
    rows = all_rows(day)
    seen = Counter()
    for m in day.truth["matches"]:
        ins = [rows[i] for i in m["internal"]]
        brs = [rows[b] for b in m["broker"]]
        seen[m["type"]] += 1
        for r in ins + brs:
            for key in ("account", "instrument_id", "side", "trade_date", "settle_date"):
                assert r[key] == ins[0][key], (m, key)
        qi, qb = sum(r["quantity"] for r in ins), sum(r["quantity"] for r in brs)
        pi = sum(r["quantity"] * r["price"] for r in ins) / qi
        pb = sum(r["quantity"] * r["price"] for r in brs) / qb
        if m.get("interchangeable"):
            assert len({(r["quantity"], r["price"]) for r in ins + brs}) == 1
            continue
        assert qi == qb, m
        assert abs(pi - pb) <= tol(day, brs[0]), m
        costs_i = sum(r["commission"] + r["fees"] for r in ins)
        costs_b = sum(r["commission"] + r["fees"] for r in brs)
        assert costs_i == costs_b, m
        net_diff = abs(sum(r["net"] for r in ins) - sum(r["net"] for r in brs))
        assert net_diff <= Decimal("0.05"), m
        if m["type"] == "exact":
            assert len(ins) == len(brs) == 1 and pi == pb and net_diff == 0, m
        elif m["type"] == "tolerance":
            assert len(ins) == len(brs) == 1 and (pi != pb or net_diff != 0), m
        else:
            assert m["shape"] == ("n_to_1" if len(ins) > 1 else "1_to_n") and len(ins) + len(brs) > 2
            if len(ins) > 1:
                assert {r["record_kind"] for r in ins} == {"fill"}
                assert len({r["order_id"] for r in ins} | {r["raw"]["block_id"] for r in ins}) == 2
            else:
                assert len({r["group_id"] for r in brs}) == 1 or brs[0]["group_id"] is None
    assert all(seen[t] > 0 for t in ("exact", "tolerance", "aggregate"))


def test_breaks_hold(day):
    rows = all_rows(day)
    for b in day.truth["breaks"]:
        t = b["type"]
        ins, brs = [rows[i] for i in b["internal"]], [rows[x] for x in b["broker"]]
        if t == "MISSING_AT_BROKER":
            assert len(ins) == 1 and not brs
            continue
        if t == "MISSING_INTERNALLY":
            assert len(brs) == 1 and not ins
            continue
        if t == "DUPLICATE":
            extra = ins or brs
            assert len(extra) == 1 and not (ins and brs)
            twin = rows[b["duplicate_of"]]
            same = ("account", "instrument_id", "side", "quantity", "price", "net", "settle_date")
            assert all(extra[0][k] == twin[k] for k in same) and extra[0]["record_id"] != twin["record_id"]
            continue
        (i,), (x,) = ins, brs
        differs = {k for k in ("account", "instrument_id", "side", "quantity", "settle_date") if i[k] != x[k]}
        if abs(i["price"] - x["price"]) > tol(day, x):
            differs.add("price")
        if abs(i["commission"] + i["fees"] - x["commission"] - x["fees"]) > Decimal("0.01"):
            differs.add("commission")
        expected = {
            "QUANTITY_MISMATCH": "quantity",
            "PRICE_MISMATCH": "price",
            "SIDE_MISMATCH": "side",
            "SETTLEMENT_DATE_MISMATCH": "settle_date",
            "COMMISSION_MISMATCH": "commission",
            "ACCOUNT_MISMATCH": "account",
        }[t]
        assert differs == {expected}, (b, differs)
        if t == "PRICE_MISMATCH":
            assert abs(i["price"] - x["price"]) > 5 * tol(day, x)
        if t == "ACCOUNT_MISMATCH":  # a sibling that trades the asset class: not also an anomaly
            cls = day.master.instruments[x["instrument_id"]].asset_class
            assert cls in day.accounts[x["account"]]


def test_no_row_matches_anything_but_its_partner(day):
    """Well-posed: an internal and a broker row that agree on key, quantity and price (within
    tolerance) are partners in the truth (same match or break entry)."""
    entry_of: dict[str, int] = {}
    for n, e in enumerate(day.truth["matches"] + day.truth["breaks"]):
        for rid in e["internal"] + e["broker"]:
            entry_of[rid] = n
    dup_twins = {b["duplicate_of"]: b for b in day.truth["breaks"] if b["type"] == "DUPLICATE"}
    index = defaultdict(list)
    for rows in day.broker.values():
        for r in rows.values():
            index[(r["account"], r["instrument_id"], r["side"], r["quantity"])].append(r)
    for i in day.internal.values():
        for x in index[(i["account"], i["instrument_id"], i["side"], i["quantity"])]:
            if abs(i["price"] - x["price"]) > tol(day, x):
                continue
            ok = entry_of[i["record_id"]] == entry_of[x["record_id"]]
            # a DUPLICATE's extra copy equals its twin's partner by design
            for rid in (i["record_id"], x["record_id"]):
                if rid in dup_twins or any(b["internal"] + b["broker"] == [rid] for b in dup_twins.values()):
                    ok = True
            assert ok, (i["record_id"], x["record_id"])


def test_late_bookings_are_after_the_cutoff_and_still_match(day):
    late = set(day.truth["late_bookings"])
    assert late
    matched = {rid for m in day.truth["matches"] for rid in m["internal"]}
    assert late <= matched
    off_hours = {i for a in day.truth["anomalies"] if a["kind"] == "off_hours" for i in a["internal"]}
    for rid, r in day.internal.items():
        booked = r["raw"]["book_time"][11:]
        assert (booked > "19:00:00") == (rid in late), rid
        if rid not in off_hours:  # the off_hours anomaly is booked outside the session on purpose
            assert time(9, 30) <= r["transact_time"].time() <= time(16, 30)
