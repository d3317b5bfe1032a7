"""An independent source of days with injected anomalies, for testing the detector on data it was
not built around. It shares nothing with recon/generator's trade or anomaly code: its own
instruments (tickers, prices, ticks), its own accounts and desks, its own size distribution
(log-normal, heavier-tailed than the generator's), its own commission schedule, one broker file
in the Castlerock layout, and its own magnitudes for each anomaly. Each anomaly is booked the same
on both sides (it matches):

    fat_finger_price   price off by 4-40% (or a slipped decimal point)
    commission_spike   commission 3-25x the schedule
    notional_outlier   quantity 20-300x the desks' usual size (the median trade)
    off_hours          booked 17:15-20:45 or 04:30-08:15 New York time (75+ minutes outside)
    new_account        booked to an account never seen before

    python -m tests.anomaly.independent --out DIR --date 2026-12-01 --seed 1 [--trades 4000] [--rate 0.006]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from recon.generator.identifiers import isin_from_cusip, new_cusip

KINDS = {
    "fat_finger_price": "price_dev",
    "commission_spike": "commission_ratio",
    "notional_outlier": "notional_excess",
    "off_hours": "minutes_outside_session",
    "new_account": "account_share",
}
ACCOUNTS = {"ORCA-1": 0.3, "ORCA-2": 0.25, "PINE-RV": 0.2, "BIRCH-EQ": 0.15, "FERN-QNT": 0.1}
RATE_PER_SHARE = Decimal("0.0045")
USUAL_SIZE = 600  # median shares per trade (log-normal, sigma 1.1)
CENT = Decimal("0.01")


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _instruments(rng: random.Random) -> list[dict]:
    out = []
    letters = "QWXZKJVY"
    for n in range(36):
        ticker = "".join(rng.choice(letters) for _ in range(3)) + str(n % 10)
        cusip = new_cusip(rng)
        vwap = Decimal(str(round(math.exp(rng.uniform(math.log(4), math.log(900))), 2)))
        out.append({"instrument_id": f"IND-{ticker}", "symbol": ticker, "cusip": cusip, "isin": isin_from_cusip(cusip),
                    "mic": rng.choice(["XNYS", "XNAS"]), "vwap": vwap, "vol": rng.uniform(0.002, 0.012)})
    return out


def write_day(out: Path, trade_date: date, seed: int, trades: int = 4000, rate: float = 0.006,
              after_close_desk: str | None = None, after_close_share: float = 0.1) -> dict:
    """after_close_desk: an account that books a share of its (normal) trades 20-60 minutes after
    the close, every day: unusual to a model, routine to the desk's analysts."""
    rng = random.Random(f"independent-{seed}")
    insts = _instruments(rng)
    n_anom = round(trades * rate)
    plan = [list(KINDS)[i % len(KINDS)] for i in range(n_anom)] + [""] * (trades - n_anom)
    rng.shuffle(plan)
    open_dt = datetime.combine(trade_date, datetime.min.time()) + timedelta(hours=9, minutes=30)
    oms, brk, anomalies, prints = [], [], [], {i["instrument_id"]: [] for i in insts}
    for n, kind in enumerate(plan):
        inst = rng.choice(insts)
        account = rng.choices(list(ACCOUNTS), weights=list(ACCOUNTS.values()))[0]
        size = max(1, round(math.exp(rng.gauss(math.log(USUAL_SIZE), 1.1))))
        qty = size if size < 100 else size - size % 100
        px = _money(inst["vwap"] * Decimal(str(1 + rng.gauss(0, inst["vol"]))))
        when = open_dt + timedelta(seconds=rng.randint(0, 6 * 3600 + 29 * 60))
        if not kind and account == after_close_desk and rng.random() < after_close_share:
            when = open_dt + timedelta(minutes=390 + rng.uniform(20, 60))
        comm_mult = 1
        if kind == "fat_finger_price":
            if rng.random() < 0.2:
                px = px * 10 if rng.random() < 0.5 else _money(px / 10)
            else:
                px = _money(px * Decimal(str(1 + rng.choice((-1, 1)) * rng.uniform(0.04, 0.4))))
        elif kind == "commission_spike":
            comm_mult = rng.randint(3, 25)
        elif kind == "notional_outlier":
            qty = USUAL_SIZE * rng.randint(20, 300)
        elif kind == "off_hours":
            start = (17 * 60 + 15, 20 * 60 + 45) if rng.random() < 0.5 else (4 * 60 + 30, 8 * 60 + 15)
            when = datetime.combine(trade_date, datetime.min.time()) + timedelta(minutes=rng.uniform(*start))
        elif kind == "new_account":
            account = f"GHOST-{rng.randint(10, 99)}"
        side = rng.choice(["BUY", "SELL", "SELL", "BUY", "SELL_SHORT"])
        gross = px * qty
        comm = _money(RATE_PER_SHARE * qty * comm_mult)
        net = gross + comm if side == "BUY" else gross - comm
        oid = f"IO-{seed}-{n:06d}"
        tid, conf = f"INT{seed:03d}{n:07d}", f"K{seed:03d}{n:08d}"
        settle = trade_date + timedelta(days=1 if trade_date.weekday() < 4 else 3)
        oms.append({"record_type": "TRADE", "trade_id": tid, "account": account, "prime_broker": "castlerock",
                    "order_id": oid, "block_id": "", "security_id": inst["instrument_id"], "symbol": inst["symbol"],
                    "side": side, "quantity": qty, "price": px, "commission": comm, "fees": "0.00", "net_amount": _money(net),
                    "accrued_interest": "", "currency": "USD", "trade_date": trade_date.isoformat(),
                    "settle_date": settle.isoformat(), "exec_time": when.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                    "status": "BOOKED"})
        brk.append({"CONF_NO": conf, "ACCOUNT": account, "CLORDID": oid, "SEC_ID_TYPE": "CUSIP", "SEC_ID": inst["cusip"],
                    "BS_CODE": {"BUY": "B", "SELL": "S", "SELL_SHORT": "SS"}[side], "QTY": qty, "PRICE": px, "COMM": comm,
                    "FEES": "0.00", "NET_MONEY": _money(net), "ACCRUED": "", "CCY": "USD",
                    "TRADE_DATE": f"{trade_date:%Y%m%d}", "SETTLE_DATE": f"{settle:%Y%m%d}",
                    "EXEC_TIME": when.strftime("%Y%m%d-%H:%M:%S")})
        if kind:
            anomalies.append({"kind": kind, "internal": [tid], "broker": [conf], "feature": KINDS[kind],
                              "broker_name": "castlerock"})
        else:
            prints[inst["instrument_id"]].append(px)
    for sub in ("reference", "internal", "broker"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    _write(out / "reference" / "instruments.csv", ",", [
        {"instrument_id": i["instrument_id"], "asset_class": "equity", "symbol": i["symbol"], "mic": i["mic"],
         "isin": i["isin"], "cusip": i["cusip"], "sedol": "", "occ_symbol": "", "future_code": "", "fx_pair": "",
         "multiplier": "1", "currency": "USD", "description": f"{i['symbol']} (independent source)"} for i in insts])
    _write(out / "reference" / "market_data.csv", ",", [
        {"instrument_id": k, "asset_class": "equity", "vwap": _money(sum(v) / len(v)), "low": min(v), "high": max(v),
         "tick": "0.01", "price_tolerance": "0.01"} for k, v in prints.items() if v])
    _write(out / "reference" / "brokers.csv", ",", [
        {"broker": "castlerock", "asset_class": "equity", "commission_basis": "per_unit", "rate": RATE_PER_SHARE}])
    _write(out / "internal" / f"oms_{trade_date:%Y%m%d}.csv", ",", oms)
    _write(out / "broker" / "castlerock.csv", "|", brk, trailer=f"TRL|{len(brk)}")
    truth = {"meta": {"trade_date": trade_date.isoformat(), "seed": seed, "trades": trades, "source": "independent"},
             "anomalies": anomalies, "matches": [], "breaks": []}
    (out / "truth.json").write_text(json.dumps(truth))
    return truth


def _write(path: Path, delimiter: str, rows: list[dict], trailer: str | None = None) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        if trailer:
            fh.write(trailer + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--date", required=True, type=date.fromisoformat)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trades", type=int, default=4000)
    ap.add_argument("--rate", type=float, default=0.006)
    a = ap.parse_args()
    t = write_day(a.out, a.date, a.seed, a.trades, a.rate)
    print(f"{a.out}: {a.trades} trades, {len(t['anomalies'])} anomalies")


if __name__ == "__main__":
    main()
