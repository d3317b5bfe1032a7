"""Each shipped layout on hand-written files: good rows, each kind of bad row, filtered rows,
trailers. Every data row must be canonical or a reject with the right reason; counts add up."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tasks.ingest import ingest_file

NB_HEADER = (
    "trade.ref,acct.id,client.order.id,alloc.id,symbol,exch.mic,side,short.cover,qty,px,comm.amt,"
    "sec.fee,exch.fee,net.amt,ccy,trade.dt,settle.dt,exec.ts\n"
)
NB_ROWS = [
    "NB-1,EQLS-1,O-1,AL-1,AAPL,XNAS,buy,,100,190.25,1.50,0.00,0.03,19026.53,USD,2026-11-27,2026-11-30,2026-11-27 10:00:01",
    "NB-2,EQLS-1,O-2,AL-2,MSFT,XNAS,sell,SHORT,250,415.1,2.50,0.29,0.08,103771.63,USD,2026-11-27,2026-11-30,2026-11-27 10:05:00",
    "NB-3,EQLS-2,O-3,AL-3,BRK.B,XNYS,buy,COVER,10,455.5,,,,,,2026-11-27,2026-11-30,",
    "NB-4,EQLS-2,O-4,AL-4,ZZZZ,XNYS,buy,,5,10,,,,,USD,2026-11-27,2026-11-30,",
    "NB-5,EQLS-2,O-5,AL-5,AAPL,XNYS,sell,,7,190,,,,,USD,2026-11-27,2026-11-30,",
    "NB-6,EQLS-1,O-6,AL-6,AAPL,XNAS,hold,,100,190.25,,,,,USD,2026-11-27,2026-11-30,",
    "NB-7,EQLS-1,O-7,AL-7,AAPL,XNAS,buy,,\"1,000\",190.25,,,,,USD,2026-11-27,2026-11-30,",
    ",EQLS-1,O-8,AL-8,AAPL,XNAS,buy,,100,190.25,,,,,USD,2026-11-27,2026-11-30,",
    "NB-9,EQLS-1,O-9,AL-9,AAPL,XNAS,buy,,100,190.25,,,,,USD,2026-02-30,2026-11-30,",
    "NB-10,EQLS-1,O-10,AL-10,AAPL,XNAS,buy,,100,190.123456789012,,,,,USD,2026-11-27,2026-11-30,",
    "NB-11,EQLS-1,O-11,AL-11,AAPL,XNAS,buy,,-100,190.25,,,,,USD,2026-11-27,2026-11-30,",
    "",
    "NB-12,EQLS-1,O-12,AL-12,AAPL,XNAS,buy",
    "NB-13,EQLS-1,O-1,AL-1,AAPL,XNAS,buy,,50,190.25,0.75,0.00,0.02,9513.27,USD,2026-11-27,2026-11-30,2026-11-27 10:00:01",
]


def test_northbridge_every_row_canonical_or_rejected_with_reason(wh, write, by_id):
    path = write("northbridge_20261127.csv", NB_HEADER + "\n".join(NB_ROWS) + "\n")
    totals = ingest_file(wh, path, "northbridge", trade_date="2026-11-27")

    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (14, 6, 8)
    assert totals["broker"] == "northbridge" and totals["source"] == "broker"
    ex, rj = by_id("executions", path), by_id("rejects", path)
    assert set(ex) == {"NB-1", "NB-2", "NB-3", "NB-4", "NB-5", "NB-13"}

    nb1 = ex["NB-1"]
    assert nb1["instrument_id"] == "EQ-AAPL" and nb1["asset_class"] == "equity"
    assert (nb1["side"], nb1["quantity"], nb1["price"]) == ("buy", Decimal("100"), Decimal("190.25"))
    assert (nb1["gross"], nb1["commission"], nb1["fees"], nb1["net"]) == (
        Decimal("19025.000000"), Decimal("1.5"), Decimal("0.03"), Decimal("19026.53"))
    assert (nb1["record_kind"], nb1["group_id"], nb1["order_id"]) == ("allocation", "AL-1", "O-1")
    assert (nb1["trade_date"], nb1["settle_date"]) == (date(2026, 11, 27), date(2026, 11, 30))
    assert nb1["transact_time"] == datetime(2026, 11, 27, 10, 0, 1)
    assert (nb1["isin"], nb1["cusip"], nb1["mic"], nb1["line"]) == ("US0378331005", "037833100", "XNAS", 2)
    assert ex["NB-2"]["side"] == "sell_short" and ex["NB-3"]["side"] == "buy_to_cover"
    assert ex["NB-3"]["instrument_id"] == "EQ-BRKB"  # a ticker with a dot, found with its MIC
    assert ex["NB-3"]["currency"] == "USD" and ex["NB-3"]["commission"] == 0 and ex["NB-3"]["net"] is None
    assert ex["NB-4"]["instrument_id"] == "TICKER_MIC:ZZZZ.XNYS" and ex["NB-4"]["asset_class"] is None
    assert ex["NB-5"]["instrument_id"] == "EQ-AAPL"  # other MIC: falls back to the ticker
    assert ex["NB-13"]["group_id"] == "AL-1"  # a split allocation keeps its group

    assert rj["NB-6"]["reason"] == "unknown side code: side|short.cover='hold'"
    assert rj["NB-7"]["reason"] == "bad number: qty='1,000'"
    assert rj["line9"]["reason"] == "missing record_id: trade.ref is empty"
    assert rj["NB-9"]["reason"] == "bad date: trade.dt='2026-02-30' (format %Y-%m-%d)"
    assert rj["NB-10"]["reason"] == "too many decimals: px='190.123456789012' (at most 10)"
    assert rj["NB-11"]["reason"] == "bad quantity: qty='-100' is negative (the layout says unsigned)"
    assert rj["line13"]["reason"] == "empty line: no values"
    assert rj["line14"]["reason"] == "malformed row: expected 18 fields, got 7"
    assert rj["line14"]["raw"] == "NB-12,EQLS-1,O-12,AL-12,AAPL,XNAS,buy"
    assert rj["NB-6"]["raw"] == NB_ROWS[5] and rj["NB-6"]["line"] == 7
    assert totals["rejected_by_reason"] == {
        "bad date": 1, "bad number": 1, "bad quantity": 1, "empty line": 1, "malformed row": 1,
        "missing record_id": 1, "too many decimals": 1, "unknown side code": 1,
    }


CR_HEADER = "CONF_NO|ACCOUNT|CLORDID|SEC_ID_TYPE|SEC_ID|BS_CODE|QTY|PRICE|COMM|FEES|NET_MONEY|ACCRUED|CCY|TRADE_DATE|SETTLE_DATE|EXEC_TIME\n"
CR_ROWS = [
    "CR-1|EQLS-1|O-1|CUSIP|037833100|B|100|190.25|1.00|0.03|19026.28||USD|20261127|20261130|20261127-10:00:01",
    "CR-2|EQLS-1|O-2|SEDOL|2588173|SS|200|415.10|2.00|0.35|83017.65||USD|20261127|20261130|20261127-10:01:00",
    "CR-3|MACRO-B|O-3|ISIN|US91282CJL54|S|1000000|98.765625|50.00||987940.63|334.25|USD|20261127|20261128|20261127-11:00:00",
    "CR-4|EQOPT-1|O-4|OCC|AAPL261218C00200000|BC|10|5.35|6.50|0.70|5357.20||USD|20261127|20261130|20261127-12:00:00",
    "CR-5|MACRO-A|O-5|FUT|ESZ6|B|2|6012.25|4.00|2.44|601231.44||USD|20261127|20261127|20261127-13:00:00",
    "CR-6|MACRO-A|O-6|FX|EURUSD|S|1000000|1.05432|||1054320.00||USD|20261127|20261201|20261127-14:00:00",
    "CR-7|EQLS-1|O-7|RIC|AAPL.OQ|B|100|190.25|||||USD|20261127|20261130|",
    "CR-8|EQLS-1|O-8|CUSIP|999999999|B|100|190.25|||||USD|20261127|20261130|",
    "CR-9|EQLS-1|O-9|CUSIP|037833100|X|100|190.25|||||USD|20261127|20261130|",
    "CR-10|EQLS-1|O-10|CUSIP|037833100|B|100|190.25|||||US|20261127|20261130|",
]


def test_castlerock_identifier_types_trailer_ok(wh, write, by_id):
    path = write("castlerock.psv", CR_HEADER + "\n".join(CR_ROWS) + f"\nTRL|{len(CR_ROWS)}\n")
    totals = ingest_file(wh, path, "castlerock")

    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (10, 7, 3)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("ok", 10, 0)
    ex, rj = by_id("executions", path), by_id("rejects", path)
    got = {k: (v["instrument_id"], v["asset_class"], v["side"]) for k, v in ex.items()}
    assert got == {
        "CR-1": ("EQ-AAPL", "equity", "buy"),
        "CR-2": ("EQ-MSFT", "equity", "sell_short"),
        "CR-3": ("BD-US91282CJL54", "bond", "sell"),
        "CR-4": ("OPT-AAPL-261218C200", "option", "buy_to_cover"),  # unpadded OCC normalized
        "CR-5": ("FUT-ESZ6", "future", "buy"),
        "CR-6": ("FX-EURUSD", "fx", "sell"),
        "CR-8": ("CUSIP:999999999", None, "buy"),  # unknown to the master: kept, becomes a break
    }
    assert ex["CR-3"]["gross"] == Decimal("987656.250000")  # 1,000,000 x 98.765625 x 0.01
    assert ex["CR-3"]["accrued"] == Decimal("334.25")
    assert ex["CR-4"]["gross"] == Decimal("5350.000000") and ex["CR-4"]["multiplier"] == 100
    assert ex["CR-5"]["gross"] == Decimal("601225.000000")
    assert ex["CR-1"]["transact_time"] == datetime(2026, 11, 27, 10, 0, 1)
    assert rj["CR-7"]["reason"].startswith("unknown instrument type: SEC_ID_TYPE='RIC' (expected CUSIP, SEDOL")
    assert rj["CR-9"]["reason"] == "unknown side code: BS_CODE='X'"
    assert rj["CR-10"]["reason"] == "bad currency: CCY='US' (expected a 3-letter ISO code)"


def test_castlerock_trailer_mismatch_is_reported_and_totals_still_add_up(wh, write, by_id):
    path = write("castlerock_bad.psv", CR_HEADER + "\n".join(CR_ROWS[:4]) + "\nTRL|5\n")
    totals = ingest_file(wh, path, "castlerock")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (4, 4, 0)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("mismatch", 5, 1)
    rj = by_id("rejects", path)
    assert rj["line6"]["reason"] == "control total: trailer says 5 records, the file has 4"
    assert rj["line6"]["raw"] == "TRL|5"


def test_castlerock_missing_trailer(wh, write, by_id):
    path = write("castlerock_notrl.psv", CR_HEADER + "\n".join(CR_ROWS[:2]) + "\n")
    totals = ingest_file(wh, path, "castlerock")
    assert (totals["trailer_status"], totals["file_errors"], totals["canonical"]) == ("missing", 1, 2)
    assert by_id("rejects", path)["line0"]["reason"] == (
        "control total: trailer row starting 'TRL' is missing (2 records in the file)")


MR_HEADER = (
    "TradeRef,PortfolioCode,OrderRef,Isin,SignedQty,ShortFlag,DealPrice,Commission,Charges,"
    "NetConsideration,AccruedInterest,Currency,TradeDate,ValueDate,ExecutionTime,Status\n"
)
MR_ROWS = [
    "MB-1,EQLS-1,O-1,US0378331005,100,,190.25,0.30,0.03,19025.33,,USD,27/11/2026,30/11/2026,27/11/2026 10:00:01,NEW",
    "MB-2,EQLS-1,O-2,US0378331005,-50,,190.5,0.15,0.27,9524.58,,USD,27/11/2026,30/11/2026,27/11/2026 10:00:02,CORRECTED",
    "MB-3,EQLS-2,O-3,US5949181045,-75,Y,415.1,,,,,USD,27/11/2026,30/11/2026,,NEW",
    "MB-4,EQLS-2,O-4,US5949181045,75,Y,414.9,,,,,USD,27/11/2026,30/11/2026,,NEW",
    "MB-5,CREDIT,O-5,US91282CJL54,2000000,,98.5,100.00,,1972100.00,3250.00,USD,27/11/2026,28/11/2026,,NEW",
    "MB-6,EQLS-1,O-6,US0378331005,100,,190.25,,,,,USD,27/11/2026,30/11/2026,,CANCELLED",
    "MB-7,EQLS-1,O-7,US0378331005,0,,190.25,,,,,USD,27/11/2026,30/11/2026,,NEW",
    "MB-8,EQLS-1,O-8,US0378331005,100,N,190.25,,,,,USD,27/11/2026,30/11/2026,,NEW",
    "MB-9,EQLS-1,O-9,,100,,190.25,,,,,USD,27/11/2026,30/11/2026,,NEW",
    "MB-10,EQLS-1,O-10,US0378331005,100,,190.25,,,,,USD,11/27/2026,30/11/2026,,NEW",
]


def test_meridian_signed_quantity_filters_and_day_first_dates(wh, write, by_id):
    path = write("meridian.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n")
    totals = ingest_file(wh, path, "meridian")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (10, 5, 5)
    ex, rj = by_id("executions", path), by_id("rejects", path)
    assert {k: (v["side"], v["quantity"]) for k, v in ex.items()} == {
        "MB-1": ("buy", Decimal(100)), "MB-2": ("sell", Decimal(50)), "MB-3": ("sell_short", Decimal(75)),
        "MB-4": ("buy_to_cover", Decimal(75)), "MB-5": ("buy", Decimal(2000000)),
    }
    assert ex["MB-1"]["trade_date"] == date(2026, 11, 27) and ex["MB-1"]["settle_date"] == date(2026, 11, 30)
    assert ex["MB-5"]["gross"] == Decimal("1970000.000000") and ex["MB-5"]["asset_class"] == "bond"
    assert rj["MB-6"]["reason"] == "filtered: Status=CANCELLED not in [NEW, CORRECTED]"
    assert rj["MB-7"]["reason"] == "bad quantity: SignedQty='0' is zero"
    assert rj["MB-8"]["reason"] == "unknown side code: sign of SignedQty|ShortFlag='+|N'"
    assert rj["MB-9"]["reason"] == "missing instrument: Isin is empty"
    assert rj["MB-10"]["reason"] == "bad date: TradeDate='11/27/2026' (format %d/%m/%Y)"
    assert totals["rejected_by_reason"]["filtered"] == 1


OMS_HEADER = (
    "record_type,trade_id,account,prime_broker,order_id,block_id,security_id,symbol,side,quantity,price,"
    "commission,fees,net_amount,accrued_interest,currency,trade_date,settle_date,exec_time,status\n"
)
OMS_ROWS = [
    "FILL,T-1,EQLS-1,northbridge,O-1,BLK-1,EQ-AAPL,AAPL,BUY,100,190.25,1.50,0.03,19026.53,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:01.250000,BOOKED",
    "TRADE,T-2,MACRO-A,castlerock,O-2,,FUT-ESZ6,,SELL,2,6012.25,4.00,2.44,601218.56,,USD,2026-11-27,2026-11-27,2026-11-27T13:00:00.000000,AMENDED",
    "TRADE,T-3,EQLS-1,meridian,O-3,,EQ-MSFT,MSFT,SELL_SHORT,75,415.1,,,,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:00.5,CANCELLED",
    "ALLOC,T-4,EQLS-1,meridian,O-4,,EQ-MSFT,MSFT,BUY,75,415.1,,,,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:00.5,BOOKED",
    "FILL,T-5,EQLS-1,,O-5,,EQ-MSFT,MSFT,BUY_TO_COVER,75,415.1,,,,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:00.5,BOOKED",
    "FILL,T-6,EQLS-1,northbridge,O-6,,EQ-NOPE,NOPE,BUY,75,15.1,,,,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:00.5,BOOKED",
    "FILL,T-7,EQLS-1,northbridge,O-7,,EQ-AAPL,AAPL,BUY,75,15.1,abc,,,,USD,2026-11-27,2026-11-30,2026-11-27T10:00:00,BOOKED",
]


def test_oms_record_kinds_broker_column_and_filters(wh, write, by_id):
    path = write("oms_20261127.csv", OMS_HEADER + "\n".join(OMS_ROWS) + "\n")
    totals = ingest_file(wh, path, "oms")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (7, 3, 4)
    assert totals["source"] == "internal" and totals["broker"] is None
    ex, rj = by_id("executions", path), by_id("rejects", path)
    assert {k: (v["source"], v["broker"], v["record_kind"], v["side"]) for k, v in ex.items()} == {
        "T-1": ("internal", "northbridge", "fill", "buy"),
        "T-2": ("internal", "castlerock", "trade", "sell"),
        "T-6": ("internal", "northbridge", "fill", "buy"),
    }
    assert ex["T-1"]["transact_time"] == datetime(2026, 11, 27, 10, 0, 1, 250000)
    assert ex["T-2"]["gross"] == Decimal("601225.000000") and ex["T-2"]["multiplier"] == 50
    assert ex["T-6"]["instrument_id"] == "INSTRUMENT_ID:EQ-NOPE" and ex["T-6"]["symbol"] == "NOPE"
    assert rj["T-3"]["reason"] == "filtered: status=CANCELLED not in [BOOKED, AMENDED]"
    assert rj["T-4"]["reason"] == "unknown record_kind: record_type='ALLOC' (expected FILL, TRADE)"
    assert rj["T-5"]["reason"] == "missing broker: prime_broker is empty"
    assert rj["T-7"]["reason"] == (
        "bad number: commission='abc'; bad date: exec_time='2026-11-27T10:00:00' (format %Y-%m-%dT%H:%M:%S.%f)")


def test_oms_broker_fallback_from_the_ingest_call(wh, write, by_id):
    path = write("oms_fallback.csv", OMS_HEADER + OMS_ROWS[4] + "\n")
    totals = ingest_file(wh, path, "oms", broker="meridian")
    assert totals["canonical"] == 1
    assert by_id("executions", path)["T-5"]["broker"] == "meridian"
