"""The files of a holdout day, in layouts fix-recon has never seen, and readers for the self-check.

- internal/abc_oms_<YYYYMMDD>.csv  Alder Bay's OMS export: one row per fill, camelCase columns, ISO-8601
  timestamps with `Z` and milliseconds, B/S/SS/BC, ABC-1xx accounts, primeBroker codes KPS/ASH/TLN,
  an idType/securityId pair plus every other identifier, prices with 6 decimals, status FILLED /
  AMENDED / CANCELLED.
- broker/kestrel_<YYYYMMDD>.csv    Kestrel Prime Services: comma CSV, Title Case headers, BUY/SELL/SHORT/
  COVER, "Sec ID Type" + "Sec ID" (ISIN, OCC, FUT, CCYPAIR as EUR/USD), dd-Mon-yyyy dates, New York
  local exec times, prices at 4 decimals (half up), FILL and ALLOC rows, Status NEW/AMEND/CANCEL,
  accounts PB/101, PB/101-S (short box), PB/101-2 (second sub-account).
- broker/ashgrove_<YYYYMMDD>.csv   Ashgrove Securities: pipe-delimited with a TRAILER|<count> row,
  signed quantities with a short/cover flag, id_type C/S/I/O (CUSIP/SEDOL/ISIN/OCC, unpadded),
  MM/DD/YYYY dates, UTC exec stamps, prices at 4 decimals (half even), accounts 4471-0101[-M].
- broker/tollan_<YYYYMMDD>.csv     Tollan Clearing: semicolon-delimited, RECORD_TYPE EXE/ALC, PRODUCT
  EQ/FUT/FX/BND with SYMBOL (ticker / contract / pair / ISIN) and MIC, B/S/SS/BTC, YYYYMMDD dates,
  epoch-millisecond exec times, prices truncated to 4 decimals (FX 6), accounts TCL0101/A, /B.
- reference/instruments.csv (fix-recon's master format), reference/account_xref.csv
  (broker,broker_account,account), reference/fx_rates.csv (currency,usd_per_unit).
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tests.holdout.day import Day, OmsRow, accrued, fmt, rmoney
from tests.holdout.universe import Instrument, fx_usd_per_unit

D = Decimal

OMS_SIDE = {"buy": "B", "sell": "S", "sell_short": "SS", "buy_to_cover": "BC"}
KESTREL_SIDE = {"buy": "BUY", "sell": "SELL", "sell_short": "SHORT", "buy_to_cover": "COVER"}
TOLLAN_SIDE = {"buy": "B", "sell": "S", "sell_short": "SS", "buy_to_cover": "BTC"}
EXEC_BROKERS = ["GSCO", "MSCO", "JPMS", "CITI", "BARC", "UBSS", "VIRT", "JEFF"]
SEC_TYPE = {"equity": "CS", "etf": "ETF", "option": "OPT", "future": "FUT", "fx": "FX", "bond": "BOND"}


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _px6(x: Decimal) -> str:
    return f"{x:.6f}"


def _qty(x: Decimal) -> str:
    return fmt(x)


def _money(x: Decimal, ccy: str) -> str:
    return f"{rmoney(x, ccy):.0f}" if ccy == "JPY" else f"{rmoney(x, ccy):.2f}"


def oms_id(inst: Instrument) -> tuple[str, str]:
    if inst.asset_class == "option":
        return "OCC", inst.occ
    if inst.asset_class == "future":
        return "FUT", inst.future_code
    if inst.asset_class == "fx":
        return "FX", inst.pair
    return "ISIN", inst.isin


def oms_symbol(inst: Instrument) -> str:
    if inst.asset_class == "option":
        return f"{inst.underlying} {inst.expiry:%m/%d/%y} {inst.put_call}{fmt(inst.strike)}"
    if inst.asset_class == "future":
        return inst.future_code
    if inst.asset_class == "fx":
        return f"{inst.pair[:3]}/{inst.pair[3:]}"
    if inst.asset_class == "bond":
        return inst.name
    return inst.ticker


OMS_COLUMNS = ["fillId", "orderId", "status", "account", "primeBroker", "execBroker", "trader", "side", "secType",
               "symbol", "mic", "idType", "securityId", "isin", "cusip", "sedol", "quantity", "price", "contractSize",
               "currency", "grossAmount", "commission", "secFee", "tafFee", "stampDuty", "exchFee", "accruedInterest",
               "netAmount", "tradeDate", "settleDate", "execTime", "bookedAt", "venue"]


def write_oms(day: Day, path: Path) -> None:
    rows = sorted(day.oms_rows, key=lambda r: (r.booked_at, r.fill_id))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(OMS_COLUMNS)
        for r in rows:
            w.writerow(_oms_values(r))


def _oms_values(r: OmsRow) -> list[str]:
    o, inst, f = r.order, r.order.inst, r.fill
    id_type, sec_id = oms_id(inst)
    gross = r.qty * r.price * inst.multiplier
    charges = r.commission + sum(r.fees.values(), D(0))
    acc = accrued(inst, r.qty)
    net = gross + acc + (charges if r.side in ("buy", "buy_to_cover") else -charges)
    trader = ["JKL", "MRS", "TPW", "AHN", "DCV"][o.n % 5]
    return [
        r.fill_id, o.order_id, r.status, r.account, o.broker.code, EXEC_BROKERS[(o.n * 7 + f.seq) % len(EXEC_BROKERS)],
        trader, OMS_SIDE[r.side], SEC_TYPE[inst.asset_class], oms_symbol(inst), inst.mic or "", id_type, sec_id,
        inst.isin or "", inst.cusip or "", inst.sedol or "", _qty(r.qty), _px6(r.price), fmt(inst.multiplier),
        inst.currency,
        _money(gross, inst.currency), _money(r.commission, inst.currency),
        *(_money(r.fees.get(k, D(0)), inst.currency) if r.fees.get(k) else "" for k in ("sec", "taf", "stamp", "exch")),
        _money(acc, inst.currency) if inst.asset_class == "bond" else "", _money(net, inst.currency),
        f"{r.trade_date:%Y-%m-%d}", f"{r.settle:%Y-%m-%d}", _iso(f.exec_time), _iso(r.booked_at),
        inst.mic or ("XCME" if inst.asset_class == "future" else ""),
    ]


# ---- brokers -------------------------------------------------------------------------------------


def _net(b, inst: Instrument, gross: Decimal, acc: Decimal) -> Decimal:
    charges = b.commission + b.fee_total
    return gross + acc + (charges if b.side in ("buy", "buy_to_cover") else -charges)


KESTREL_COLUMNS = ["Trade Ref", "Alloc Ref", "Client Order ID", "Booking Type", "Account No", "Side", "Sec ID Type",
                   "Sec ID", "Security Description", "Quantity", "Price", "Gross Amount", "Commission", "Exch Fees",
                   "Reg Fees", "Net Amount", "Currency", "Trade Date", "Settle Date", "Exec Time", "Status"]


def kestrel_id(inst: Instrument) -> tuple[str, str]:
    if inst.asset_class == "option":
        return "OCC", inst.occ
    if inst.asset_class == "future":
        return "FUT", inst.future_code
    if inst.asset_class == "fx":
        return "CCYPAIR", f"{inst.pair[:3]}/{inst.pair[3:]}"
    return "ISIN", inst.isin


def write_kestrel(day: Day, path: Path) -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    rows = [b for b in day.broker_rows if b.broker.key == "kestrel"]
    rows.sort(key=lambda b: (b.exec_time, b.ref))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(KESTREL_COLUMNS)
        for b in rows:
            inst = b.order.inst
            t, v = kestrel_id(inst)
            gross = rmoney(b.qty * b.price * inst.multiplier, inst.currency)
            local = b.exec_time.astimezone(ny)
            w.writerow([
                b.ref, b.alloc_ref, b.order.order_id, b.kind, b.account, KESTREL_SIDE[b.side], t, v, inst.name,
                _qty(b.qty), f"{b.price:.6f}" if inst.asset_class == "fx" else f"{b.price:.4f}",
                _money(gross, inst.currency), _money(b.commission, inst.currency),
                _money(b.fees.get("exch", D(0)), inst.currency),
                _money(b.fees.get("sec", D(0)) + b.fees.get("taf", D(0)) + b.fees.get("stamp", D(0)), inst.currency),
                _money(_net(b, inst, gross, accrued(inst, b.qty)), inst.currency), inst.currency,
                f"{b.trade_date:%d-%b-%Y}", f"{b.settle:%d-%b-%Y}", local.strftime("%d-%b-%Y %H:%M:%S"), b.status,
            ])


ASHGROVE_COLUMNS = ["conf_id", "alloc_id", "order_ref", "acct", "sec_id", "id_type", "qty", "short_cover", "price",
                    "comm", "sec_fee", "other_fee", "accrued", "net_amt", "ccy", "trd_dt", "stl_dt", "exec_ts"]


def ashgrove_id(inst: Instrument) -> tuple[str, str]:
    if inst.asset_class == "option":
        return inst.occ.replace(" ", ""), "O"
    if inst.asset_class == "bond":
        return inst.isin, "I"
    if inst.cusip:
        return inst.cusip, "C"
    return inst.sedol, "S"


def write_ashgrove(day: Day, path: Path) -> None:
    rows = [b for b in day.broker_rows if b.broker.key == "ashgrove"]
    rows.sort(key=lambda b: (b.exec_time, b.ref))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter="|", lineterminator="\n")
        w.writerow(ASHGROVE_COLUMNS)
        for b in rows:
            inst = b.order.inst
            sid, kind = ashgrove_id(inst)
            gross = rmoney(b.qty * b.price * inst.multiplier, inst.currency)
            sign = "-" if b.side in ("sell", "sell_short") else ""
            flag = {"sell_short": "S", "buy_to_cover": "C"}.get(b.side, "")
            if flag == "S" and (b.order.n % 9 == 0):
                flag = "X"  # short exempt
            acc = accrued(inst, b.qty)
            w.writerow([
                b.ref, b.alloc_ref, b.order.order_id, b.account, sid, kind, sign + _qty(b.qty), flag,
                f"{b.price:.4f}", _money(b.commission, inst.currency), _money(b.fees.get("sec", D(0)), inst.currency),
                _money(b.fee_total - b.fees.get("sec", D(0)), inst.currency),
                _money(acc, inst.currency) if inst.asset_class == "bond" else "",
                _money(_net(b, inst, gross, acc), inst.currency), inst.currency,
                f"{b.trade_date:%m/%d/%Y}", f"{b.settle:%m/%d/%Y}",
                b.exec_time.strftime("%Y%m%d-%H:%M:%S.") + f"{b.exec_time.microsecond // 1000:03d}",
            ])
        w.writerow(["TRAILER", str(len(rows))])


TOLLAN_COLUMNS = ["RECORD_TYPE", "TRADE_ID", "BLOCK_ID", "CLIENT_ORD", "ACCOUNT", "PRODUCT", "SYMBOL", "MIC", "ISIN",
                  "B_S", "QUANTITY", "PRICE", "CCY", "COMMISSION", "CLEARING_FEE", "NET", "TRADE_DATE", "VALUE_DATE",
                  "EXEC_EPOCH_MS"]


def tollan_product(inst: Instrument) -> tuple[str, str, str]:
    if inst.asset_class == "future":
        return "FUT", inst.future_code, ""
    if inst.asset_class == "fx":
        return "FX", inst.pair, ""
    if inst.asset_class == "bond":
        return "BND", inst.isin, ""
    return "EQ", inst.ticker, inst.mic


def write_tollan(day: Day, path: Path) -> None:
    rows = [b for b in day.broker_rows if b.broker.key == "tollan"]
    rows.sort(key=lambda b: (b.exec_time, b.ref))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(TOLLAN_COLUMNS)
        for b in rows:
            inst = b.order.inst
            prod, sym, mic = tollan_product(inst)
            gross = rmoney(b.qty * b.price * inst.multiplier, inst.currency)
            price = f"{b.price:.6f}" if inst.asset_class == "fx" else f"{b.price:.4f}"
            w.writerow([
                "EXE" if b.kind == "FILL" else "ALC", b.ref, b.alloc_ref, b.order.order_id, b.account, prod, sym, mic,
                inst.isin or "", TOLLAN_SIDE[b.side], _qty(b.qty), price, inst.currency,
                _money(b.commission, inst.currency), _money(b.fee_total, inst.currency),
                _money(_net(b, inst, gross, accrued(inst, b.qty)), inst.currency), f"{b.trade_date:%Y%m%d}",
                f"{b.settle:%Y%m%d}", str(int(b.exec_time.timestamp() * 1000)),
            ])


# ---- reference -----------------------------------------------------------------------------------

MASTER_COLUMNS = ["instrument_id", "asset_class", "symbol", "mic", "isin", "cusip", "sedol", "occ_symbol",
                  "future_code", "fx_pair", "multiplier", "currency", "description"]


def write_master(day: Day, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(MASTER_COLUMNS)
        for i in day.universe:
            w.writerow([i.key, i.asset_class, i.ticker if i.asset_class in ("equity", "etf") else "", i.mic or "",
                        i.isin or "", i.cusip or "", i.sedol or "", i.occ or "", i.future_code or "", i.pair or "",
                        fmt(i.multiplier), i.currency, i.name])


def write_xref(day: Day, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["broker", "broker_account", "account"])
        for row in day.xref:
            w.writerow(row)


def write_fx_rates(day: Day, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["currency", "usd_per_unit"])
        for ccy, rate in sorted(fx_usd_per_unit(day.universe).items()):
            w.writerow([ccy, fmt(rate)])


# ---- readers (the self-check reads the files back, as text) -------------------------------------


def read_rows(path: Path, delimiter: str, trailer: str | None = None) -> list[dict]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=delimiter))
    if trailer and rows and rows[-1][next(iter(rows[-1]))] == trailer:
        rows = rows[:-1]
    return rows


BROKER_FILES = {
    # key: (file stem, delimiter, trailer, record id column)
    "kestrel": ("kestrel", ",", None, "Trade Ref"),
    "ashgrove": ("ashgrove", "|", "TRAILER", "conf_id"),
    "tollan": ("tollan", ";", None, "TRADE_ID"),
}
