"""Ingestion throughput: one broker layout (northbridge, 18 columns) from CSV to canonical rows.

Ours, embedded engine (what ingest_file does there): pyarrow reads the file (every column as text,
each row's line), DuckDB's mapping SQL reads that Arrow table directly: one INSERT of the
canonical rows into executions (exact decimals, instrument join, every check), the rows that did
not become canonical (an anti-join) into raw_northbridge, their rejects with reasons, control
totals, one transaction. Phases are timed inside one ingest_file call.
Baseline, same file, same process: pandas read_csv(dtype=str) plus a vectorized pandas
normalization of the same fields (float numbers, to_datetime, side codes, instrument merge) with
no reject bookkeeping. About 1% of rows are damaged so the reject path does real work.

Run: .venv/bin/python bench/bench_ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

import tasks.ingest as ingest
from blocks.warehouse import Warehouse
from recon.instruments import Instrument, InstrumentMaster
from tasks.ingest import ensure_tables, ingest_file, load_instruments

N_SYMBOLS = 2000


def write_master(path: Path) -> list[str]:
    symbols = [f"S{i:04d}" for i in range(N_SYMBOLS)]
    InstrumentMaster(
        [Instrument(f"EQ-{s}", "equity", symbol=s, mic="XNYS" if i % 2 else "XNAS") for i, s in enumerate(symbols)]
    ).write_csv(path)
    return symbols


def write_northbridge(path: Path, rows: int, symbols: list[str], seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, N_SYMBOLS, rows)
    qty = rng.integers(1, 500, rows) * 10
    px_cents = rng.integers(1_000, 50_000, rows)
    side_pick = rng.integers(0, 4, rows)
    sides = np.array(["buy", "sell", "sell", "buy"])[side_pick]
    quals = np.array(["", "", "SHORT", "COVER"])[side_pick]
    px = np.char.add(np.char.add((px_cents // 100).astype(str), "."), np.char.zfill((px_cents % 100).astype(str), 2))
    px = px.astype(object)
    bad = rng.random(rows) < 0.01  # damaged rows: a letter in the price
    px[bad] = "12O.5"
    comm = np.round(qty * 0.003, 2).astype(str)
    sym = np.array(symbols)[idx]
    mic = np.where(idx % 2 == 1, "XNYS", "XNAS")
    ids = np.char.add("NB", np.arange(rows).astype(str))
    def const(v: str) -> np.ndarray:
        return np.full(rows, v)

    table = pa.table({
        "trade.ref": ids, "acct.id": np.array(["LSEQ-A", "LSEQ-B", "MACRO-A", "CREDIT"])[idx % 4],
        "client.order.id": np.char.add("ORD-", (np.arange(rows) // 3).astype(str)),
        "alloc.id": np.char.add("NBA", np.arange(rows).astype(str)), "symbol": sym, "exch.mic": mic,
        "side": sides, "short.cover": quals, "qty": qty.astype(str), "px": px.astype(str), "comm.amt": comm,
        "sec.fee": np.where(sides == "sell", "0.11", ""), "exch.fee": const("0.03"), "net.amt": const(""),
        "ccy": const("USD"), "trade.dt": const("2026-11-27"), "settle.dt": const("2026-11-30"),
        "exec.ts": const("2026-11-27 10:00:01"),
    })
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))


_PHASES = {  # statement prefix -> phase name
    "INSERT INTO executions": "normalize -> executions (SQL over Arrow)",
    "INSERT INTO raw_": "rejected rows -> raw_northbridge",
    "INSERT INTO rejects": "rejects with reasons (SQL)",
}
_READ = "pyarrow read (all text, line numbers)"


@contextmanager
def phase_timer():
    """Time ingest_file's steps from the outside: the read, and each statement by its prefix."""
    spent: dict[str, float] = defaultdict(float)
    real_read, real_execute = ingest.read_source_file, Warehouse.execute

    def read(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real_read(*args, **kwargs)
        finally:
            spent[_READ] += time.perf_counter() - t

    def execute(self, sql, params=None):
        t = time.perf_counter()
        try:
            return real_execute(self, sql, params)
        finally:
            for prefix, label in _PHASES.items():
                if sql.startswith(prefix):
                    spent[label] += time.perf_counter() - t

    ingest.read_source_file, Warehouse.execute = read, execute
    try:
        yield spent
    finally:
        ingest.read_source_file, Warehouse.execute = real_read, real_execute


def ours(wh: Warehouse, path: Path) -> tuple[dict[str, float], dict]:
    with phase_timer() as spent:
        t = time.perf_counter()
        totals = ingest_file(wh, path, "northbridge")
        spent["total"] = time.perf_counter() - t
    return dict(spent), totals


def pandas_baseline(path: Path, master: Path) -> float:
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    ids = pd.read_csv(master, dtype=str, keep_default_na=False)[["instrument_id", "symbol", "mic"]]
    out = pd.DataFrame({"record_id": df["trade.ref"], "account": df["acct.id"]})
    out["quantity"] = pd.to_numeric(df["qty"], errors="coerce")
    out["price"] = pd.to_numeric(df["px"], errors="coerce")
    out["commission"] = pd.to_numeric(df["comm.amt"], errors="coerce").fillna(0)
    out["fees"] = pd.to_numeric(df["sec.fee"], errors="coerce").fillna(0) + pd.to_numeric(df["exch.fee"], errors="coerce").fillna(0)
    out["trade_date"] = pd.to_datetime(df["trade.dt"], format="%Y-%m-%d", errors="coerce")
    out["settle_date"] = pd.to_datetime(df["settle.dt"], format="%Y-%m-%d", errors="coerce")
    out["transact_time"] = pd.to_datetime(df["exec.ts"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    key = df["side"] + df["short.cover"].where(df["short.cover"] == "", "|" + df["short.cover"])
    out["side"] = key.map({"buy": "buy", "sell": "sell", "sell|SHORT": "sell_short", "buy|COVER": "buy_to_cover"})
    out["symbol"], out["mic"] = df["symbol"], df["exch.mic"]
    out = out.merge(ids, on=["symbol", "mic"], how="left")
    out["gross"] = out["quantity"] * out["price"]
    ok = out["price"].notna() & out["side"].notna()
    _ = out[ok], out[~ok]
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        master = d / "instruments.csv"
        symbols = write_master(master)
        path = d / "northbridge.csv"
        t = time.perf_counter()
        write_northbridge(path, args.rows, symbols)
        print(f"wrote {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s")
        wh = Warehouse(duckdb_path=str(d / "bench.duckdb"))
        ensure_tables(wh)
        load_instruments(wh, master)
        first, totals = ours(wh, path)
        again, _ = ours(wh, path)  # a re-ingest: replaces the file's rows in one transaction
        base = pandas_baseline(path, master)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        wh.close()
    rows = [(name, first.get(name, 0.0)) for name in (_READ, *_PHASES.values())]
    rows += [
        ("ours: ingest_file end to end (first load)", first["total"]),
        ("ours: ingest_file end to end (re-ingest)", again["total"]),
        ("baseline: pandas read+normalize (floats)", base),
    ]
    print(f"\nrows={args.rows:,}  canonical={totals['canonical']:,}  rejected={totals['rejected']:,}  "
          f"peak RSS {rss:.0f} MB (process)")
    print(f"{'step':<46}{'seconds':>9}{'rows/s':>13}")
    for name, sec in rows:
        print(f"{name:<46}{sec:>9.2f}{args.rows / sec if sec else 0:>13,.0f}")


if __name__ == "__main__":
    main()
