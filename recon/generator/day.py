"""Generate one trading day: reference data, OMS export, broker files, drop copies and truth.json.

Deterministic for a seed: one random.Random drives everything, and nothing iterates a set.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from recon.generator.anomalies import ANOMALY_KINDS, build_anomaly
from recon.generator.breaks import BREAK_TYPES, build_break
from recon.generator.output import DayFiles, WriteJob, write_day_files, write_reference
from recon.generator.reference import BROKER_SCHEDULES, build_universe
from recon.generator.trades import SESSION_SECONDS, DayBuilder, Draft, late_booking_time
from recon.generator.truth import Truth

BROKERS = list(BROKER_SCHEDULES)
BROKER_ID = {
    "northbridge": ("NB{d:%y%m%d}{n:07d}", "NBA{d:%y%m%d}{n:07d}"),
    "castlerock": ("C{n:010d}", None),
    "meridian": ("MER{d:%Y%m%d}-{n:06d}", None),
}
MAX_ATTEMPTS = 200  # redraws until a trade cannot be confused with any other
SHAPES = (("aggregate", 0.15), ("split", 0.08), ("tolerance", 0.10))


@dataclass
class DayConfig:
    trade_date: date
    trades: int
    seed: int = 7
    break_rate: float = 0.08
    anomaly_rate: float = 0.01
    brokers: list[str] = field(default_factory=lambda: list(BROKERS))
    late_rate: float = 0.02
    cancelled_rate: float = 0.005
    soh: bool = False
    fix42: list[str] = field(default_factory=list)  # brokers whose drop copy is a FIX 4.2 session

    def validate(self) -> None:
        if self.trade_date.weekday() >= 5:
            raise ValueError(f"{self.trade_date} is a {self.trade_date:%A}: pick a weekday")
        if self.trades < 1:
            raise ValueError("--trades must be at least 1")
        for name, rate in (("break-rate", self.break_rate), ("anomaly-rate", self.anomaly_rate)):
            if not 0 <= rate <= 1:
                raise ValueError(f"--{name} must be between 0 and 1, got {rate}")
        if self.break_rate + self.anomaly_rate > 1:
            raise ValueError("--break-rate plus --anomaly-rate cannot exceed 1")
        unknown = [b for b in self.brokers if b not in BROKER_SCHEDULES]
        if unknown or not self.brokers:
            raise ValueError(f"unknown broker(s) {unknown or self.brokers}; choose from {', '.join(BROKERS)}")
        if set(self.fix42) - set(self.brokers):
            raise ValueError(
                f"--fix42 {','.join(self.fix42)}: only brokers being generated ({', '.join(self.brokers)})"
            )


def _plan(cfg: DayConfig, rng: random.Random) -> list[tuple[str, str]]:
    n_breaks = round(cfg.trades * cfg.break_rate)
    n_anomalies = round(cfg.trades * cfg.anomaly_rate)
    plan: list[tuple[str, str]] = []
    for n, kinds, tag in ((n_breaks, BREAK_TYPES, "break"), (n_anomalies, ANOMALY_KINDS, "anomaly")):
        cycle: list[str] = []
        while len(cycle) < n:  # every type before any repeats: all present once n >= len(types)
            cycle += rng.sample(kinds, len(kinds))
        plan += [(tag, k) for k in cycle[:n]]
    plan += [("normal", "")] * (cfg.trades - len(plan))
    rng.shuffle(plan)
    return plan


def _build(b: DayBuilder, d: Draft, tag: str, kind: str, late_rate: float) -> None:
    rng = b.rng
    if tag == "break":
        return build_break(b, d, kind)
    if tag == "anomaly":
        return build_anomaly(b, d, kind)
    if rng.random() < late_rate:
        d.late = True
        d.book_dt = late_booking_time(rng, b.trade_date)
    r = rng.random()
    for shape, p in SHAPES:
        if r < p:
            return getattr(b, f"shape_{shape}")(d)
        r -= p
    b.shape_exact(d)


def generate_day(cfg: DayConfig, out: Path, progress: Callable[[int], None] | None = None) -> dict:
    cfg.validate()
    # Millions of small dicts and no reference cycles: the cyclic GC would rescan them over and
    # over (it more than doubled the time of a 1M-trade day). Reference counting still frees memory.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(cfg, out, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(cfg: DayConfig, out: Path, progress: Callable[[int], None] | None) -> dict:
    rng = random.Random(cfg.seed)
    universe = build_universe(cfg.trade_date, rng)
    b = DayBuilder(cfg.trade_date, universe, cfg.brokers, rng)
    plan = _plan(cfg, rng)
    offsets = sorted(rng.randrange(SESSION_SECONDS * 1000) for _ in plan)
    truth = Truth()
    oms_rows: list[dict] = []
    broker_rows: dict[str, list[dict]] = {x: [] for x in cfg.brokers}
    orders: dict[str, dict[str, tuple]] = {x: {} for x in cfg.brokers}
    counters = {"oms": 0, **{x: 0 for x in cfg.brokers}}

    def ids_for(rows: list[dict], broker: str | None) -> None:
        alloc: str | None = None
        for r in rows:
            if r["record_id"] is not None:
                continue
            key = broker or "oms"
            counters[key] += 1
            n = counters[key]
            if broker is None:
                r["record_id"] = f"OMS{cfg.trade_date:%Y%m%d}{n:08d}"
                continue
            fmt, alloc_fmt = BROKER_ID[broker]
            r["record_id"] = fmt.format(d=cfg.trade_date, n=n)
            if alloc_fmt:  # allocation ids; the rows of one split allocation share one
                if r["group_id"] != "@alloc" or alloc is None:
                    alloc = alloc_fmt.format(d=cfg.trade_date, n=n)
                r["group_id"] = alloc
            elif r["group_id"] == "@alloc":
                r["group_id"] = None

    for k, (tag, kind) in enumerate(plan):
        start = b.session_start + timedelta(milliseconds=offsets[k])
        for _ in range(MAX_ATTEMPTS):
            d = b.new_draft(start, inst=None)
            _build(b, d, tag, kind, cfg.late_rate)
            if b.is_free(d):
                break
        else:
            raise RuntimeError(f"could not draw a well-posed trade in {MAX_ATTEMPTS} attempts")
        b.reserve(d)
        ids_for(d.internal, None)
        ids_for(d.broker_rows, d.broker)
        _record_truth(truth, d)
        oms_rows.extend(d.internal)
        broker_rows[d.broker].extend(d.broker_rows)
        book = orders[d.broker]
        for f in d.fills:
            if f["order_id"] not in book:
                book[f["order_id"]] = (d.inst, [])
            book[f["order_id"]][1].append(f)
        truth.trades += 1 + sum(1 for a in d.anomalies if a[0] == "wash_trade")
        if progress and k % 1000 == 999:
            progress(1000)

    _cancelled(cfg, b, truth, oms_rows, broker_rows, ids_for)
    for r in oms_rows:
        if r["status"] is None and rng.random() < 0.05:
            r["status"] = "alt"  # AMENDED: still booked
    for r in broker_rows.get("meridian", []):
        if r["status"] is None and rng.random() < 0.05:
            r["status"] = "alt"  # CORRECTED: still valid

    return _write(cfg, out, universe, b, truth, oms_rows, broker_rows, orders, rng)


def _record_truth(truth: Truth, d: Draft) -> None:
    def ids(rows: list[dict]) -> list[str]:
        return [r["record_id"] for r in rows]

    for irows, brows, extra in d.matches:
        truth.matches.append({"internal": ids(irows), "broker": ids(brows), **extra, "broker_name": d.broker})
    for btype, irows, brows, extra in d.breaks:
        entry = {"type": btype, "internal": ids(irows), "broker": ids(brows), "broker_name": d.broker}
        entry.update({k: v["record_id"] for k, v in extra.items()})
        truth.breaks.append(entry)
    for kind, irows, brows, feature in d.anomalies:
        truth.anomalies.append(
            {
                "kind": kind,
                "internal": ids(irows),
                "broker": ids(brows),
                "feature": feature,
                "broker_name": d.broker,
            }
        )
    if d.late:
        truth.late_bookings.extend(ids(d.internal))


def _cancelled(cfg, b: DayBuilder, truth: Truth, oms_rows, broker_rows, ids_for) -> None:
    """Rows the sources themselves mark as cancelled: the readers' filters exclude them."""
    rng = b.rng
    n = max(1, round(cfg.trades * cfg.cancelled_rate))
    for _ in range(n):
        d = b.new_draft(b.session_start + timedelta(milliseconds=rng.randrange(SESSION_SECONDS * 1000)))
        r = dict(b.row(d), status="CANCELLED")
        ids_for([r], None)
        oms_rows.append(r)
        truth.excluded.append(
            {
                "source": "internal",
                "record_id": r["record_id"],
                "reason": "status CANCELLED is not in [BOOKED, AMENDED]",
            }
        )
    if "meridian" not in broker_rows:
        return
    meridian_insts = [i for c in ("equity", "etf", "bond") for i in b.by_class.get(c, [])]
    for _ in range(n):
        d = b.new_draft(
            b.session_start + timedelta(milliseconds=rng.randrange(SESSION_SECONDS * 1000)),
            inst=rng.choice(meridian_insts),
        )
        d.broker = "meridian"
        r = dict(b.row(d), status="CANCELLED")
        ids_for([r], "meridian")
        broker_rows["meridian"].append(r)
        truth.excluded.append(
            {
                "source": "meridian",
                "record_id": r["record_id"],
                "reason": "Status CANCELLED is not in [NEW, CORRECTED]",
            }
        )


def _write(cfg, out: Path, universe, b: DayBuilder, truth: Truth, oms_rows, broker_rows, orders, rng) -> dict:
    for sub in ("internal", "broker", "dropcopy"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    write_reference(out / "reference", universe)
    by_time = lambda r: r["transact_time"]  # noqa: E731
    oms_rows.sort(key=by_time)
    for rows in broker_rows.values():
        rows.sort(key=by_time)
    files = {"internal": f"internal/oms_{cfg.trade_date:%Y%m%d}.csv"}
    jobs = []
    for name in broker_rows:  # the drop copies first: they take longest
        files[f"{name}_dropcopy"] = rel = f"dropcopy/{name}.fix"
        jobs.append(WriteJob("fix", name, out / rel, rel))
    jobs.append(WriteJob("csv", "oms", out / files["internal"], files["internal"]))
    for name in broker_rows:
        files[name] = rel = f"broker/{name}.csv"
        jobs.append(WriteJob("csv", name, out / rel, rel))
    day = DayFiles(
        out,
        cfg.trade_date,
        oms_rows,
        broker_rows,
        orders,
        b.settle,
        {name: rng.getrandbits(64) for name in broker_rows},
        cfg.soh,
        {name: "4.2" if name in cfg.fix42 else "4.4" for name in broker_rows},
    )
    internal_n, broker_n = 0, {}
    for kind, name, n, dc_truth in write_day_files(day, jobs):
        if kind == "fix":
            truth.dropcopy[name] = dc_truth
        elif name == "oms":
            internal_n = n
        else:
            broker_n[name] = n
    broker_n = {name: broker_n[name] for name in broker_rows}
    truth.dropcopy = {name: truth.dropcopy[name] for name in broker_rows}
    meta = {
        "trade_date": cfg.trade_date.isoformat(),
        "seed": cfg.seed,
        "trades": cfg.trades,
        "break_rate": cfg.break_rate,
        "anomaly_rate": cfg.anomaly_rate,
        "brokers": cfg.brokers,
        "files": files,
        "times": "CSV times are America/New_York; FIX times are UTC",
        "fix_delimiter": "SOH" if cfg.soh else "|",
    }
    counts = truth.write(out / "truth.json", internal_n, broker_n, meta)
    return {"files": files, "counts": counts}
