"""Helpers for the generator tests: generate a day and read it back through the YAML layouts.

The reader here is deliberately independent of recon/generator/render.py (it reads the YAML the
other way round), so a rendering bug cannot hide behind its own inverse.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import yaml

from recon.instruments import InstrumentMaster
from recon.paths import MAPPINGS_DIR, PROJECT_ROOT

TRADE_DATE = date(2026, 11, 27)
N_TRADES = 2400
SEED = 11
BREAK_RATE = 0.08
ANOMALY_RATE = 0.02
BROKERS = ["northbridge", "castlerock", "meridian"]


def layout(name: str) -> dict:
    return yaml.safe_load((MAPPINGS_DIR / f"{name}.yaml").read_text())


def rules() -> dict:
    raw = yaml.safe_load((PROJECT_ROOT / "recon" / "matching_rules.yaml").read_text())
    return {
        c: {k: Decimal(str(v)) for k, v in {**raw["default"], **(raw.get(c) or {})}.items()}
        for c in ("equity", "etf", "option", "future", "fx", "bond")
    }


def _column(spec) -> str:
    return spec if isinstance(spec, str) else spec["column"]


def _money(row: dict, spec: dict | None) -> Decimal | None:
    if spec is None:
        return None
    cols = spec.get("columns") or [spec["column"]]
    total = Decimal(0)
    for c in cols:
        v = row[c].strip()
        if not v:
            if "default" not in spec:
                return None
            v = spec["default"]
        total += Decimal(v)
    return total


def read_layout(name: str, path: Path, master: InstrumentMaster) -> tuple[dict, dict, list[str], int | None]:
    """-> (kept rows by record_id, filtered-out rows by record_id, header, trailer count)."""
    spec = layout(name)
    f, fields = spec["file"], spec["fields"]
    with open(path, newline="") as fh:
        lines = list(csv.reader(fh, delimiter=f["delimiter"]))
    header, body = lines[0], lines[1:]
    trailer = None
    if f.get("trailer_prefix") and body and body[-1][0] == f["trailer_prefix"]:
        trailer = int(body.pop()[1])
    kept, dropped = {}, {}
    for values in body:
        row = dict(zip(header, values, strict=True))
        rid = row[fields["record_id"]]
        out = {
            "record_id": rid,
            "raw": row,
            "account": row[fields["account"]],
            "order_id": row[fields["order_id"]],
        }
        inst = fields["instrument"]
        if inst["type"] == "ticker_mic":
            iid, known = master.resolve("ticker", row[inst["column"]], row[inst["mic_column"]])
        elif inst["type"] == "from_column":
            iid, known = master.resolve(inst["type_codes"][row[inst["type_column"]]], row[inst["column"]])
        else:
            iid, known = master.resolve(inst["type"], row[inst["column"]])
        out["instrument_id"], out["known"] = iid, known is not None
        side = fields["side"]
        qty = row[fields["quantity"]["column"]]
        if side.get("from_quantity_sign"):
            code = "-" if qty.startswith("-") else "+"
        else:
            code = row[side["column"]]
        qual = row.get(side.get("qualifier") or "", "")
        out["side"] = side["codes"][f"{code}|{qual}" if qual else code]
        out["quantity"] = abs(Decimal(qty))
        out["price"] = Decimal(row[fields["price"]["column"]])
        out["commission"] = _money(row, fields.get("commission"))
        out["fees"] = _money(row, fields.get("fees"))
        out["net"] = _money(row, fields.get("net"))
        out["accrued"] = _money(row, fields.get("accrued"))
        for key in ("trade_date", "settle_date"):
            out[key] = datetime.strptime(row[fields[key]["column"]], fields[key]["format"]).date()
        tt = fields["transact_time"]
        out["transact_time"] = datetime.strptime(row[tt["column"]], tt["format"])
        kind = spec.get("record_kind")
        out["record_kind"] = kind["codes"][row[kind["column"]]] if isinstance(kind, dict) else kind
        out["group_id"] = row[_column(fields["group_id"])] if "group_id" in fields else None
        excluded = any(row[flt["column"]] not in flt["in"] for flt in spec.get("filters") or [])
        (dropped if excluded else kept)[rid] = out
    return kept, dropped, header, trailer


@dataclass
class Day:
    out: Path
    truth: dict
    master: InstrumentMaster
    internal: dict
    internal_dropped: dict
    broker: dict  # broker -> {record_id: row}
    broker_dropped: dict
    headers: dict
    trailers: dict
    market: dict
    accounts: dict


def generate(out: Path, trades: int = N_TRADES, seed: int = SEED, **kw) -> Path:
    from recon.generator import DayConfig, generate_day

    cfg = DayConfig(
        trade_date=TRADE_DATE,
        trades=trades,
        seed=seed,
        break_rate=kw.pop("break_rate", BREAK_RATE),
        anomaly_rate=kw.pop("anomaly_rate", ANOMALY_RATE),
        **kw,
    )
    generate_day(cfg, out)
    return out


def load_day(out: Path) -> Day:
    truth = json.loads((out / "truth.json").read_text())
    master = InstrumentMaster.from_csv(out / "reference" / "instruments.csv")
    headers, trailers, broker, dropped = {}, {}, {}, {}
    internal, internal_dropped, headers["oms"], _ = read_layout(
        "oms", out / truth["meta"]["files"]["internal"], master
    )
    for b in truth["meta"]["brokers"]:
        broker[b], dropped[b], headers[b], trailers[b] = read_layout(
            b, out / truth["meta"]["files"][b], master
        )
    with open(out / "reference" / "market_data.csv") as fh:
        market = {r["instrument_id"]: r for r in csv.DictReader(fh)}
    with open(out / "reference" / "accounts.csv") as fh:
        accounts = {r["account"]: r["asset_classes"].split() for r in csv.DictReader(fh)}
    return Day(
        out, truth, master, internal, internal_dropped, broker, dropped, headers, trailers, market, accounts
    )
