"""Ingestion throughput: one broker layout (northbridge, 18 columns) from CSV to canonical rows.

Ours: pyarrow CSV read (all text) -> raw_northbridge in DuckDB -> the compiled mapping SQL
(executions + rejects, exact decimals, instrument join) -> control totals.
Baseline, same file, same process: pandas read_csv(dtype=str) plus a vectorized pandas
normalization of the same fields (float numbers, to_datetime, side codes, instrument merge) with
no reject bookkeeping. About 1% of rows are damaged so the reject path does real work.

Run: .venv/bin/python bench/bench_ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from blocks.warehouse import Warehouse  # noqa: E402
from recon.instruments import Instrument, InstrumentMaster  # noqa: E402
from recon.mapping.compile_sql import compile_mapping  # noqa: E402
from recon.mapping.load import land_raw, prepare_raw_table, read_source_file  # noqa: E402
from recon.mapping.spec import load_mapping  # noqa: E402
from tasks.ingest import ensure_tables, ingest_file, load_instruments  # noqa: E402

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


def ours(wh: Warehouse, path: Path) -> dict[str, float]:
    spec = load_mapping("northbridge")
    t0 = time.perf_counter()
    source = read_source_file(path, spec)
    t1 = time.perf_counter()
    prepare_raw_table(wh, spec, source)
    land_raw(wh, spec, source)
    t2 = time.perf_counter()
    sql = compile_mapping(spec, source.header, source.raw_columns)
    params = {"file": source.file_key, "broker": "northbridge"}
    wh.execute(sql.executions_sql, params)
    t3 = time.perf_counter()
    wh.execute(sql.rejects_sql, params)
    t4 = time.perf_counter()
    return {"read": t1 - t0, "land": t2 - t1, "executions": t3 - t2, "rejects": t4 - t3, "total": t4 - t0}


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
        phases = ours(wh, path)
        t = time.perf_counter()
        totals = ingest_file(wh, path, "northbridge")  # end to end again: replaces, one transaction
        end_to_end = time.perf_counter() - t
        base = pandas_baseline(path, master)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        wh.close()
    rows = [
        ("pyarrow read (all text)", phases["read"]),
        ("land raw_northbridge", phases["land"]),
        ("normalize -> executions (SQL)", phases["executions"]),
        ("rejects (SQL)", phases["rejects"]),
        ("ours: read+land+normalize", phases["total"]),
        ("ours: ingest_file end to end (re-ingest)", end_to_end),
        ("baseline: pandas read+normalize (floats)", base),
    ]
    print(f"\nrows={args.rows:,}  canonical={totals['canonical']:,}  rejected={totals['rejected']:,}  "
          f"peak RSS {rss:.0f} MB (process)")
    print(f"{'step':<44}{'seconds':>9}{'rows/s':>13}")
    for name, sec in rows:
        print(f"{name:<44}{sec:>9.2f}{args.rows / sec:>13,.0f}")


if __name__ == "__main__":
    main()
