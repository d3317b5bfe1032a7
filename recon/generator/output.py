"""Write a generated day's files: CSVs in their layouts and the FIX drop copies.

The files are independent, so on a machine with fork() and more than one core a large day writes
them from two worker processes (the rows are inherited copy-on-write, nothing is pickled but the
drop-copy truth coming back). Each drop copy has its own seeded Random, so the bytes are the same
whether the jobs run in parallel or in turn.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from recon.generator.fix_dropcopy import DropCopyWriter
from recon.generator.identifiers import PX_SCALE, fmt_px
from recon.generator.reference import ACCOUNTS, BROKER_SCHEDULES, InstSpec
from recon.generator.render import LayoutWriter, load_layout
from recon.instruments import InstrumentMaster

PARALLEL_FROM_ROWS = 50_000  # below this, starting workers costs more than it saves


@dataclass
class WriteJob:
    kind: str  # "csv" | "fix"
    name: str  # layout name (oms, a broker) or the broker of a drop copy
    path: Path
    rel: str


@dataclass
class DayFiles:
    out: Path
    trade_date: date
    oms_rows: list[dict]
    broker_rows: dict[str, list[dict]]
    orders: dict[str, dict[str, tuple]]
    settle: dict[int, date]
    fix_seeds: dict[str, int]
    soh: bool
    fix_versions: dict[str, str]


_DAY: DayFiles | None = None  # set before the workers fork; read by _run


def _run(job: WriteJob) -> tuple[str, str, int, dict | None]:
    day = _DAY
    assert day is not None
    if job.kind == "csv":
        if job.name == "oms":
            writer = LayoutWriter(
                load_layout("oms"),
                extra_columns=[("book_time", lambda r: r["book_time"].isoformat("T", "seconds"))],
            )
            return job.kind, job.name, writer.write(job.path, day.oms_rows), None
        return (
            job.kind,
            job.name,
            LayoutWriter(load_layout(job.name)).write(job.path, day.broker_rows[job.name]),
            None,
        )
    dc = DropCopyWriter(
        job.name, day.trade_date, random.Random(day.fix_seeds[job.name]), day.fix_versions[job.name]
    )
    for inst, fills in day.orders[job.name].values():
        dc.add_order(inst, day.settle[inst.idx], fills)
    lines = dc.lines(soh=day.soh)
    job.path.write_bytes(b"\n".join(lines) + (b"\n" if lines else b""))
    return job.kind, job.name, len(lines), dc.truth(job.rel, len(lines))


def write_day_files(day: DayFiles, jobs: list[WriteJob]) -> list[tuple[str, str, int, dict | None]]:
    global _DAY
    _DAY = day
    rows = len(day.oms_rows) + sum(len(r) for r in day.broker_rows.values())
    parallel = (
        rows >= PARALLEL_FROM_ROWS
        and (os.cpu_count() or 1) > 1
        and "fork" in multiprocessing.get_all_start_methods()
    )
    try:
        if not parallel:
            return [_run(j) for j in jobs]
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run, jobs))
    finally:
        _DAY = None


def write_reference(out_dir: Path, universe: list[InstSpec]) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "instruments": out_dir / "instruments.csv",
        "market_data": out_dir / "market_data.csv",
        "accounts": out_dir / "accounts.csv",
        "brokers": out_dir / "brokers.csv",
        "fx_rates": out_dir / "fx_rates.csv",
    }
    InstrumentMaster([i.to_instrument() for i in universe]).write_csv(paths["instruments"])
    with open(paths["market_data"], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["instrument_id", "asset_class", "vwap", "low", "high", "tick", "price_tolerance"])
        for i in universe:
            w.writerow(
                [
                    i.instrument_id,
                    i.asset_class,
                    fmt_px(i.vwap),
                    fmt_px(i.low),
                    fmt_px(i.high),
                    fmt_px(i.tick, 0),
                    fmt_px(i.tol, 0),
                ]
            )
    with open(paths["accounts"], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "strategy", "asset_classes"])
        for a in ACCOUNTS:
            w.writerow([a.code, a.strategy, " ".join(a.asset_classes)])
    with open(paths["brokers"], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["broker", "asset_class", "commission_basis", "rate"])
        for broker, sched in BROKER_SCHEDULES.items():
            for cls, (basis, rate) in sched.items():
                w.writerow([broker, cls, basis, rate])
    with open(paths["fx_rates"], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["currency", "usd_per_unit"])
        for currency, rate in sorted(usd_rates(universe).items()):
            w.writerow([currency, format(rate, "f")])
    return paths


def usd_rates(universe: list[InstSpec]) -> dict[str, Decimal]:
    """USD per unit of each currency the day trades in, from the FX spot instruments' prices."""
    rates = {"USD": Decimal(1)}
    for i in universe:
        pair = i.fx_pair or ""
        if i.asset_class != "fx" or len(pair) != 6 or "USD" not in pair:
            continue  # forwards carry a value date in fx_pair; crosses have no USD leg
        px = Decimal(i.vwap) / PX_SCALE
        if pair.startswith("USD"):
            rates[pair[3:]] = (1 / px).quantize(Decimal("1e-12"))
        else:
            rates[pair[:3]] = px.quantize(Decimal("1e-12"))
    return rates
