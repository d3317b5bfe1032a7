"""Streaming reconciliation: sustained messages/s through the consumer into breaks, and lag.

A generated day's drop copy (all brokers, SOH-delimited) is put on a kinesalite stream by a
producer process at a fixed rate (partition key = account, as the gateway does) while the consumer
loop reconciles micro-batches against the day's internal executions (landed first). Lag is per
decided fill: Kinesis arrival timestamp -> the match or break committed (window 0: every fill is
due at once, so the lag is all processing). Baseline in the same run: the bare consumer (poll +
checkpoint, no reconciliation) on the same records.

    .venv/bin/python bench/bench_stream.py --trades 12000 --rate 2000 --shards 4
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from datetime import date
from pathlib import Path

D = date(2026, 11, 24)


def day_messages(out: Path, trades: int) -> list[tuple[str, bytes]]:
    from recon.generator import DayConfig, generate_day

    generate_day(DayConfig(trade_date=D, trades=trades, seed=11, soh=True), out)
    per_broker = []
    for path in sorted((out / "dropcopy").glob("*.fix")):
        lines = [line for line in path.read_bytes().split(b"\n") if line]
        per_broker.append([(_account(m), m) for m in lines])
    merged: list[tuple[str, bytes]] = []  # interleave brokers, each in its own order
    for i in range(max(len(b) for b in per_broker)):
        merged += [b[i] for b in per_broker if i < len(b)]
    return merged


def _account(message: bytes) -> str:
    at = message.find(b"\x011=")
    return message[at + 3 : message.find(b"\x01", at + 3)].decode() if at >= 0 else "none"


def produce(endpoint: str, name: str, messages, rate: float) -> None:
    """In a process of its own: the producer's encoding must not take the consumer's GIL."""
    from blocks.kinesis import KinesisStream

    producer = KinesisStream.local(endpoint, name).producer()
    step = 100
    start = time.monotonic()
    for i in range(0, len(messages), step):
        due = start + i / rate
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        producer.put(messages[i : i + step])


def bare_consumer(stream, wh, total: int) -> float:
    consumer = stream.consumer(wh)
    seen, start = 0, time.monotonic()
    while seen < total:
        batch = consumer.poll(2000, 0.5)
        consumer.checkpoint(batch)
        seen += len(batch)
    return seen / (time.monotonic() - start)


def run(args) -> list[tuple]:
    from blocks.kinesis import KinesisStream
    from blocks.warehouse import get_warehouse
    from recon.generator.fix_dropcopy import SENDER
    from tasks.stream_consume import consume, land_internal, reconcile_batch
    from tasks.stream_metrics import percentile
    from tasks.stream_options import StreamOptions
    from tests.support.kinesalite import Kinesalite

    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    os.environ["RECON_HOME"] = str(work / "home")
    messages = day_messages(work / "day", args.trades)
    kin = Kinesalite(work).start()
    try:
        name = kin.create_stream(args.shards)
        stream = KinesisStream.local(kin.endpoint, name)
        wh = get_warehouse()
        landed = land_internal(StreamOptions(landing_dir=str(work / "day")))
        feeder = multiprocessing.get_context("spawn").Process(
            target=produce, args=(kin.endpoint, name, messages, args.rate), daemon=True
        )
        feeder.start()
        senders = {v: k for k, v in SENDER.items()}
        consumer = stream.consumer(wh)
        options = StreamOptions(senders=senders, batch_size=args.batch_size, batch_seconds=args.batch_seconds,
                                window_seconds=0, stop_when_idle=3.0)  # fmt: skip
        summary = consume([(consumer, None)], name, reconcile_batch, options)
        feeder.join()
        # first put -> last batch committed (arrival timestamps are the stream's clock, UTC)
        span = wh.fetch_rows("SELECT MIN(arrival) AS a FROM stream_messages")[0]["a"]
        end = wh.fetch_rows("SELECT MAX(finished_at) AS f FROM stream_batches WHERE records > 0")[0]["f"]
        elapsed = (end - span).total_seconds()
        rows = wh.fetch_rows("SELECT outcome, first_arrival, decided_at FROM stream_fills WHERE outcome IN ('matched','break')")
        lags = [(r["decided_at"] - r["first_arrival"]).total_seconds() * 1000 for r in rows]
        batches = wh.fetch_rows("SELECT records, seconds FROM stream_batches WHERE records > 0")
        breaks = wh.scalar("SELECT COUNT(*) FROM breaks WHERE status <> 'closed'")
        base_name = kin.create_stream(args.shards)
        base = KinesisStream.local(kin.endpoint, base_name)
        base.producer().put(messages)
        bare = bare_consumer(base, get_warehouse(), len(messages))
    finally:
        kin.stop()
    sizes = f"{len(messages)} msgs, {landed['internal_rows']} internal rows, {args.shards} shards"
    return [
        ("baseline: bare consumer (poll+checkpoint)", sizes, f"{bare:,.0f}", "-", "-", "-", "-"),
        (f"reconcile at {args.rate:,.0f} msg/s offered", sizes, f"{summary['records'] / elapsed:,.0f}",
         f"{percentile(lags, 50):,.0f}", f"{percentile(lags, 99):,.0f}", f"{max(lags):,.0f}",
         f"{len(batches)} batches, median {sorted(b['seconds'] for b in batches)[len(batches) // 2]:.2f} s, "
         f"max {max(b['seconds'] for b in batches):.2f} s, "
         f"{breaks} open breaks"),
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trades", type=int, default=12000)
    ap.add_argument("--rate", type=float, default=2000.0, help="messages/s offered by the producer")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--batch-seconds", type=float, default=0.25)
    args = ap.parse_args()
    rows = run(args)
    header = ("case", "sizes", "msgs/s", "lag p50 ms", "lag p99 ms", "lag max ms", "notes")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
