"""Generator throughput: `recon generate` at several sizes, against baselines measured in this run.

Baselines: (1) writing the same number of CSV rows of ready-made strings with csv.writer (the I/O
floor the generator's files cannot beat), (2) simplefix encoding the day's drop-copy messages vs the
generator's own encoder (which writes the same bytes). CPU time includes the writer processes.
Run: .venv/bin/python bench/bench_generator.py [--sizes 10000,100000] [--full] (--full adds 1,000,000)
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import simplefix

from recon.generator import DayConfig, generate_day
from recon.generator.fix_dropcopy import encode


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def csv_floor(path: Path, rows: int) -> tuple[float, float]:
    row = [
        "OMS2026112700000001",
        "LSEQ-A",
        "castlerock",
        "ORD-20261127-0000001",
        "",
        "EQ-PGE",
        "PGE",
        "SELL_SHORT",
        "100",
        "29.85",
        "0.40",
        "0.14",
        "2984.46",
        "",
        "USD",
        "2026-11-27",
        "2026-11-30",
        "2026-11-27T09:30:10.134000",
        "BOOKED",
        "2026-11-27T09:36:29",
    ]
    t, c = time.perf_counter(), cpu()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for _ in range(rows):
            w.writerow(row)
    return time.perf_counter() - t, cpu() - c


def encode_compare(fix_file: Path, limit: int = 20000) -> tuple[int, float, float]:
    msgs = []
    for line in fix_file.read_bytes().splitlines()[:limit]:
        fields = [f.split(b"=", 1) for f in line.rstrip(b"|").split(b"|")]
        msgs.append([(int(t), v.decode()) for t, v in fields if t not in (b"8", b"9", b"10")])
    header_tags = {35, 49, 56, 34, 52, 43, 122}
    t = time.perf_counter()
    for m in msgs:
        fm = simplefix.FixMessage()
        fm.append_pair(8, "FIX.4.4", header=True)
        for tag, v in m:
            fm.append_pair(tag, v, header=tag in header_tags)
        fm.encode()
    t_simplefix = time.perf_counter() - t
    t = time.perf_counter()
    for m in msgs:
        encode(
            "".join(f"{tag}={v}\x01" for tag, v in m if tag in header_tags),
            "".join(f"{tag}={v}\x01" for tag, v in m if tag not in header_tags),
        )
    return len(msgs), t_simplefix, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--full", action="store_true", help="also 1,000,000 trades")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.full else [])
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-gen-"))
    try:
        fix_sample = None
        for n in sizes:
            out = tmp / f"day{n}"
            c0, t0 = cpu(), time.perf_counter()
            res = generate_day(DayConfig(trade_date=date(2026, 11, 27), trades=n, seed=7), out)
            wall, used = time.perf_counter() - t0, cpu() - c0
            counts = res["counts"]
            csv_rows = counts["internal_rows"] + counts["broker_rows_total"]
            fix_msgs = sum(counts["dropcopy_messages"].values())
            floor, floor_cpu = csv_floor(tmp / "floor.csv", csv_rows)
            rows.append(
                (
                    f"generate {n:,} trades",
                    wall,
                    used,
                    f"{n / wall:,.0f} trades/s",
                    f"{csv_rows:,} csv rows, {fix_msgs:,} FIX msgs, {size_mb(out):,.0f} MB",
                )
            )
            rows.append(
                (f"  baseline: csv.writer {csv_rows:,} fixed rows", floor, floor_cpu, "", "I/O floor")
            )
            fix_sample = out / "dropcopy" / "castlerock.fix"
            if n != sizes[-1]:
                shutil.rmtree(out)
        c = cpu()
        k, t_sf, t_own = encode_compare(fix_sample)
        share = (cpu() - c) / (t_sf + t_own)  # split the CPU of the two timed loops by their wall time
        rows.append(
            (f"  baseline: simplefix encode {k:,} msgs", t_sf, t_sf * share, f"{k / t_sf:,.0f} msg/s", "")
        )
        rows.append(
            (
                f"  generator encode {k:,} msgs",
                t_own,
                t_own * share,
                f"{k / t_own:,.0f} msg/s",
                f"{t_sf / t_own:.1f}x simplefix",
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'what':46} {'wall s':>8} {'cpu s':>8}  {'rate':>16}  notes")
    for what, wall, used, rate, note in rows:
        print(f"{what:46} {wall:8.2f} {used:8.2f}  {rate:>16}  {note}")


if __name__ == "__main__":
    main()
