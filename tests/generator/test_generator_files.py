"""The written files parse in their YAML layouts and carry exact, consistent values."""

from __future__ import annotations

import re
from decimal import Decimal

from genday_helpers import TRADE_DATE, layout

from recon.instruments import MASTER_COLUMNS


def yaml_columns(name: str) -> set[str]:
    spec = layout(name)
    cols: set[str] = set()

    def walk(v) -> None:
        if isinstance(v, str):
            cols.add(v)
        elif isinstance(v, dict):
            for k in ("column", "mic_column", "type_column", "qualifier"):
                if k in v:
                    cols.add(v[k])
            cols.update(v.get("columns") or [])

    for value in spec["fields"].values():
        walk(value)
    if isinstance(spec.get("record_kind"), dict):
        cols.add(spec["record_kind"]["column"])
    cols.update(f["column"] for f in spec.get("filters") or [])
    return cols


def test_headers_are_the_yaml_columns(day):
    for name in ["oms", *day.broker]:
        header = day.headers[name]
        assert len(header) == len(set(header)), f"{name}: duplicate columns"
        expected = yaml_columns(name)
        extra = set(header) - expected
        assert expected <= set(header), f"{name}: missing {expected - set(header)}"
        assert extra == ({"book_time"} if name == "oms" else set()), f"{name}: unexpected {extra}"


def test_master_format(day):
    text = (day.out / "reference" / "instruments.csv").read_text().splitlines()
    assert text[0].split(",") == MASTER_COLUMNS
    classes = {i.asset_class for i in day.master.instruments.values()}
    assert classes == {"equity", "etf", "option", "future", "fx", "bond"}
    by_class = {c: [i for i in day.master.instruments.values() if i.asset_class == c] for c in classes}
    assert len(by_class["equity"]) >= 40 and len(by_class["etf"]) >= 8
    assert {str(i.multiplier) for i in by_class["option"]} == {"100"}
    assert {str(i.multiplier) for i in by_class["future"]} == {"50", "20", "1000"}
    assert {str(i.multiplier) for i in by_class["bond"]} == {"0.01"}
    assert all(re.fullmatch(r"[A-Z]{2}[FGHJKMNQUVXZ]\d", i.future_code) for i in by_class["future"])
    assert all(re.fullmatch(r"[A-Z ]{6}\d{6}[CP]\d{8}", i.occ_symbol) for i in by_class["option"])
    fwd = [i for i in by_class["fx"] if "-" in i.fx_pair]
    assert fwd and all(i.instrument_id.startswith("FXF-") for i in fwd)
    assert {i.currency for i in by_class["fx"]} >= {"USD", "JPY"}


def test_every_row_parses_and_resolves(day):
    covers = {b: set(layout(b)["covers"]) for b in day.broker}
    # the new_account anomaly books to an account the reference does not know (on purpose)
    new = {i for a in day.truth["anomalies"] if a["kind"] == "new_account" for i in a["internal"] + a["broker"]}
    for rows in [day.internal, *day.broker.values()]:
        assert rows
        for r in rows.values():
            assert r["known"], f"{r['record_id']}: instrument {r['instrument_id']} not in the master"
            assert r["trade_date"] == TRADE_DATE
            assert r["settle_date"] >= TRADE_DATE and r["settle_date"].weekday() < 5
            assert r["transact_time"].date() == TRADE_DATE
            assert r["quantity"] > 0 and r["price"] > 0
            assert r["account"] in day.accounts or r["record_id"] in new
    for b, rows in day.broker.items():
        for r in rows.values():
            assert day.master.instruments[r["instrument_id"]].asset_class in covers[b]


def test_trailer_counts_rows(day):
    assert day.trailers["castlerock"] == len(day.broker["castlerock"]) + len(day.broker_dropped["castlerock"])
    text = (day.out / "broker" / "castlerock.csv").read_text().splitlines()
    assert text[-1] == f"TRL|{len(text) - 2}"


def test_filtered_rows_are_the_truths_excluded(day):
    excluded = {(e["source"], e["record_id"]) for e in day.truth["excluded"]}
    written = {("internal", rid) for rid in day.internal_dropped}
    written |= {(b, rid) for b, rows in day.broker_dropped.items() for rid in rows}
    assert written == excluded
    assert {r["raw"]["status"] for r in day.internal_dropped.values()} == {"CANCELLED"}
    assert {r["raw"]["Status"] for r in day.broker_dropped["meridian"].values()} == {"CANCELLED"}
    assert {r["raw"]["status"] for r in day.internal.values()} == {"BOOKED", "AMENDED"}


def test_money_is_exact_and_adds_up(day):
    decimal_text = re.compile(r"-?\d+(\.\d{1,8})?")
    for r in day.internal.values():
        for col in ("quantity", "price", "commission", "fees", "net_amount"):
            value = r["raw"][col]
            assert decimal_text.fullmatch(value) or (col == "fees" and value == ""), (col, value)
        inst = day.master.instruments[r["instrument_id"]]
        gross = (r["quantity"] * r["price"] * inst.multiplier).quantize(Decimal("0.01"))
        costs = r["commission"] + r["fees"]
        sign = 1 if r["side"] in ("buy", "buy_to_cover") else -1
        expected = gross + sign * costs + (r["accrued"] or 0)
        # fills are priced exactly; a trade's average price can carry sub-cent rounding
        assert abs(r["net"] - expected) <= Decimal("0.01"), r["record_id"]
        assert (r["accrued"] is not None) == (inst.asset_class == "bond")
