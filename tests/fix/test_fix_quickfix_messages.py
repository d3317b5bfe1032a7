"""Messages encoded by QuickFIX (an independent engine) parse field for field."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from fix_builders import er42, er44, quickfix_message


def test_execution_report_44_fill_field_for_field(parse):
    msg = er44(
        "NBE1",
        qty="300",
        px="187.2525",
        side="5",
        groups=[
            (
                453,
                448,
                [[(448, "NBPRIME"), (447, "D"), (452, "1")], [(448, "XNAS"), (447, "G"), (452, "22")]],
            ),
            (136, 137, [[(137, "0.31"), (139, "1")], [(137, "0.07"), (139, "2")]]),
        ],
    )
    result = parse(msg)
    assert result.rejects == []
    [e] = result.executions
    assert (e.source, e.record_id, e.record_kind, e.broker) == ("dropcopy", "NBE1", "fill", "northbridge")
    assert (e.account, e.instrument_id, e.asset_class, e.symbol, e.mic) == (
        "ACC-1",
        "EQ-AAPL",
        "equity",
        "AAPL",
        "XNAS",
    )
    assert e.isin == "US0378331005" and e.cusip == "037833100"  # filled in from the master
    assert e.side == "sell_short"
    assert e.quantity == Decimal("300") and e.price == Decimal("187.2525")
    assert e.gross == Decimal("56175.75")
    assert e.commission == Decimal("4.50") and e.fees == Decimal("0.38")
    assert e.net is None and e.currency == "USD"
    assert e.trade_date == date(2026, 11, 27) and e.settle_date == date(2026, 11, 30)
    assert e.transact_time == datetime(2026, 11, 27, 14, 30, 1, 123456)
    assert (e.order_id, e.exec_type, e.ref_id, e.version) == ("ORD-1", "F", None, 1)
    assert e.extra["cl_ord_id"] == "CL-NBE1"
    assert (e.file, e.line) == ("dropcopy.fix", 1)
    assert all(isinstance(v, Decimal) for v in (e.quantity, e.price, e.gross, e.commission, e.fees))
    assert result.totals["dropcopy.fix"]["booked"] == 1


def test_execution_report_42_fill_and_per_unit_commission(parse):
    result = parse(er42("E42", "0", exec_type="2", qty="250", px="50.5"))
    [e] = result.executions
    assert (e.record_id, e.side, e.instrument_id, e.exec_type) == ("E42", "sell", "EQ-IBM", "2")
    assert e.quantity == Decimal(250) and e.price == Decimal("50.5")
    assert e.commission == Decimal("2.50")  # 0.01 per share (13=1) x 250
    assert e.transact_time == datetime(2026, 11, 27, 15, 0, 0)


def test_execution_report_42_partial_and_status_forms(parse):
    partial = er42("P1", "0", exec_type="1", qty="10")
    new_order = er42("N1", "0", exec_type="0", qty="0")
    status = er42("S1", "3", exec_type="2", qty="10")
    result = parse([partial, new_order, status])
    assert [e.record_id for e in result.executions] == ["P1"]
    t = result.totals["dropcopy.fix"]
    assert (t["booked"], t["not_booked"]) == (1, 2)


def test_execution_report_44_non_booking_exec_types(parse):
    msgs = [
        er44(f"X{code}", exec_type=code, qty="0") for code in ("0", "4", "5", "6", "8", "A", "E", "I", "D")
    ]
    result = parse(msgs + [er44("F1")])
    assert [e.record_id for e in result.executions] == ["F1"]
    assert result.totals["dropcopy.fix"]["not_booked"] == 9 and result.rejects == []


def test_trade_capture_report_sides_as_a_group(parse, master):
    sides = [
        [
            (54, "1"),
            (37, "O-B"),
            (11, "CL-B"),
            (453, 448, [[(448, "FUNDA"), (452, "24")]]),
            (1, "ACC-B"),
            (12, "0.10"),
            (13, "2"),
            (77, "C"),
        ],
        [(54, "2"), (37, "O-S"), (1, "ACC-S"), (12, "12.5"), (13, "3"), (15, "USD")],
    ]
    body = [
        (571, "TR-9"),
        (487, "0"),
        (856, "0"),
        (55, "IBM"),
        (207, "XNYS"),
        (32, "1000"),
        (31, "150.25"),
        (75, "20261127"),
        (60, "20261127-15:01:02.5"),
        (64, "20261130"),
    ]
    result = parse(quickfix_message("AE", body, [(552, 54, sides)]))
    assert result.rejects == []
    buy, sell = result.executions
    assert (buy.record_id, buy.record_kind, buy.account, buy.side) == (
        "TR-9:1",
        "trade",
        "ACC-B",
        "buy_to_cover",
    )
    assert (sell.record_id, sell.account, sell.side) == ("TR-9:2", "ACC-S", "sell")
    assert buy.commission == Decimal("150.25")  # 0.10 % of 150,250
    assert sell.commission == Decimal("12.5")
    assert buy.order_id == "O-B" and buy.extra["cl_ord_id"] == "CL-B"
    assert buy.instrument_id == sell.instrument_id == "EQ-IBM"
    assert buy.quantity == sell.quantity == Decimal(1000)
    assert buy.transact_time == datetime(2026, 11, 27, 15, 1, 2, 500000)
    t = result.totals["dropcopy.fix"]
    assert (t["booked"], t["executions"]) == (1, 2)


def _alloc_body(alloc_id: str, trans: str = "0", ref: str | None = None) -> list:
    body = [
        (70, alloc_id),
        (71, trans),
        (626, "1"),
        (54, "1"),
        (55, "VOD"),
        (207, "XLON"),
        (53, "3000"),
        (6, "0.7125"),
        (75, "20261127"),
        (64, "20261201"),
        (15, "GBP"),
        (857, "0"),
    ]
    if ref:
        body.append((72, ref))
    return body


def _allocs() -> list:
    return [
        [
            (79, "ACC-1"),
            (80, "1000"),
            (12, "5"),
            (13, "3"),
            (154, "717.50"),
            (136, 137, [[(137, "1.25"), (139, "4")]]),
        ],
        [(79, "ACC-2"), (80, "1500"), (153, "0.7130"), (12, "0.001"), (13, "1")],
        [(79, "ACC-1"), (80, "500")],
    ]


def _alloc_groups() -> list:
    return [
        (73, 11, [[(11, "CL-7"), (37, "ORD-7")]]),
        (124, 32, [[(32, "2000"), (17, "E-1"), (31, "0.7120")], [(32, "1000"), (17, "E-2"), (31, "0.7135")]]),
        (78, 79, _allocs()),
    ]


def test_allocation_instruction_allocs_orders_execs(parse, master):
    result = parse(quickfix_message("J", _alloc_body("AL-1"), _alloc_groups()))
    assert result.rejects == []
    a1, a2, a3 = result.executions
    assert [a.record_id for a in result.executions] == ["AL-1:ACC-1", "AL-1:ACC-2", "AL-1:ACC-1#2"]
    assert {a.record_kind for a in result.executions} == {"allocation"}
    assert {a.group_id for a in result.executions} == {"AL-1"}
    assert a1.quantity == Decimal(1000) and a1.price == Decimal("0.7125")
    assert a1.commission == Decimal(5) and a1.fees == Decimal("1.25") and a1.net == Decimal("717.50")
    assert a2.price == Decimal("0.7130") and a2.commission == Decimal("1.5")
    assert a3.quantity == Decimal(500)
    assert a1.instrument_id == "EQ-VOD" and a1.currency == "GBP" and a1.order_id == "ORD-7"
    assert a1.settle_date == date(2026, 12, 1)


def test_allocation_report_and_rejected_status(parse):
    ok = quickfix_message("AS", [(755, "AR-1"), (87, "0"), (794, "3"), *_alloc_body("AL-2")], _alloc_groups())
    refused = quickfix_message(
        "AS", [(755, "AR-2"), (87, "1"), (794, "3"), *_alloc_body("AL-3")], _alloc_groups()
    )
    result = parse([ok, refused])
    assert {e.record_id for e in result.executions} == {"AL-2:ACC-1", "AL-2:ACC-2", "AL-2:ACC-1#2"}
    assert result.totals["dropcopy.fix"]["not_booked"] == 1


def test_confirmation(parse):
    body = [
        (664, "CF-1"),
        (666, "0"),
        (773, "2"),
        (665, "1"),
        (70, "AL-1"),
        (79, "ACC-1"),
        (80, "1000"),
        (54, "2"),
        (55, "AAPL"),
        (207, "XNAS"),
        (6, "187.5"),
        (75, "20261127"),
        (64, "20261130"),
        (60, "20261127-20:00:00"),
        (381, "187500"),
        (118, "187490.50"),
        (12, "9.5"),
        (13, "3"),
        (15, "USD"),
    ]
    result = parse(quickfix_message("AK", body, [(862, 528, [[(528, "A"), (529, "1"), (863, "1000")]])]))
    [c] = result.executions
    assert (c.record_id, c.record_kind, c.group_id, c.account, c.side) == (
        "CF-1",
        "allocation",
        "AL-1",
        "ACC-1",
        "sell",
    )
    assert c.gross == Decimal("187500") and c.net == Decimal("187490.50") and c.commission == Decimal("9.5")


def test_instruments_by_every_identifier(parse):
    variants = {
        "I-ISIN": [(48, "US0378331005"), (22, "4")],
        "I-CUSIP": [(48, "459200101"), (22, "1")],
        "I-SEDOL": [(48, "BH4HKS3"), (22, "2")],
        "I-OPT-FIELDS": [(167, "OPT"), (541, "20261218"), (201, "1"), (202, "200")],
        "I-OPT-OCC": [(167, "OPT"), (48, "AAPL  261218C00200000"), (22, "8")],
        "I-FUT": [(167, "FUT")],
        "I-FX": [(167, "FXSPOT")],
        "I-UNKNOWN": [(48, "XS0000000001"), (22, "4")],
    }
    symbols = {"I-FUT": "ESZ6", "I-FX": "EUR/USD", "I-OPT-FIELDS": "AAPL", "I-OPT-OCC": "AAPL"}
    msgs = [
        quickfix_message("8", _er_with(exec_id, symbols.get(exec_id, "ZZZZ"), extra))
        for exec_id, extra in variants.items()
    ]
    result = parse(msgs)
    assert result.rejects == []
    got = {e.record_id: (e.instrument_id, e.asset_class, e.multiplier) for e in result.executions}
    assert got == {
        "I-ISIN": ("EQ-AAPL", "equity", 1),
        "I-CUSIP": ("EQ-IBM", "equity", 1),
        "I-SEDOL": ("EQ-VOD", "equity", 1),
        "I-OPT-FIELDS": ("OPT-AAPL-C200", "option", 100),
        "I-OPT-OCC": ("OPT-AAPL-C200", "option", 100),
        "I-FUT": ("FUT-ESZ6", "future", 50),
        "I-FX": ("FX-EURUSD", "fx", 1),
        "I-UNKNOWN": ("ISIN:XS0000000001", "equity", 1),
    }
    opt = next(e for e in result.executions if e.record_id == "I-OPT-FIELDS")
    assert opt.gross == Decimal(100) * Decimal("187.25") * 100


def _er_with(exec_id: str, symbol: str, extra: list) -> list:
    from fix_builders import fill_fields

    fields = [f for f in fill_fields(exec_id, symbol=symbol) if f[0] != 207]
    return fields + extra


def test_unknown_ticker_without_master_keeps_a_stable_id(parse):
    result = parse(er44("U1", symbol="ZZZZ", mic="XNAS"), use_master=False)
    assert result.executions[0].instrument_id == "TICKER_MIC:ZZZZ.XNAS"


def test_allocation_instruction_fix42(parse):
    allocs = [
        [(79, "ACC-1"), (80, "1000"), (12, "5"), (13, "3"), (154, "717.50"), (160, "0")],
        [(79, "ACC-2"), (80, "2000"), (92, "NBPRIME")],
    ]
    msg = quickfix_message(
        "J",
        _alloc_body("AL-42"),
        [(73, 11, [[(11, "CL-7"), (37, "ORD-7"), (105, "W")]]), (78, 79, allocs)],
        begin="FIX.4.2",
    )
    result = parse(msg)
    assert result.rejects == []
    assert [(a.record_id, a.quantity, a.net) for a in result.executions] == [
        ("AL-42:ACC-1", Decimal(1000), Decimal("717.50")),
        ("AL-42:ACC-2", Decimal(2000), None),
    ]
