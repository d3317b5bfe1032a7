"""Kinesis stream block throughput against kinesalite (records/s), with baselines in the same run.

Records are drop-copy ExecutionReports (~260 bytes) over 20 partition keys (accounts) on a
4-shard stream. Put: our producer (batches of <= 500, partial-failure retry) vs one PutRecord
call per record and vs bare put_records calls of 500. Consume: our consumer (poll 1,000 +
warehouse checkpoint per batch, DuckDB file) vs a bare get_records loop over the shards.
Run: .venv/bin/python bench/bench_kinesis.py [--records 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from blocks.kinesis import KinesisStream
from blocks.warehouse import Warehouse
from tests.support.kinesalite import Kinesalite


def message(n: int) -> tuple[str, bytes]:
    account = f"ACC{n % 20:03d}"
    body = (
        f"35=8\x0134={n + 1}\x0149=NBPRIME\x0152=20261127-14:30:01.123\x0156=FUNDDC\x011={account}\x01"
        f"6=190.2500\x0111=CL{n:08d}\x0115=USD\x0117=EX{n:010d}\x0131=190.2500\x0132=300\x0137=ORD{n:09d}\x01"
        f"39=2\x0154=1\x0155=AAPL\x0160=20261127-14:30:01.123456\x0164=20261130\x0175=20261127\x01150=F\x01"
        f"207=XNAS\x0112=0.60\x01"
    ).encode()
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    raw = head + body
    return account, raw + b"10=%03d\x01" % (sum(raw) % 256)


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def consume_all(consumer, expected: int, checkpoint: bool) -> int:
    got = 0
    while got < expected:
        batch = consumer.poll(max_records=1000, max_wait_s=1.0)
        if not batch:
            break
        got += len(batch)
        if checkpoint:
            consumer.checkpoint(batch)
    return got


def raw_get_all(client, stream: str, expected: int) -> int:
    got = 0
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        it = it["ShardIterator"]
        while it:
            page = client.get_records(ShardIterator=it, Limit=10000)
            got += len(page["Records"])
            if not page["Records"]:
                break
            it = page.get("NextShardIterator")
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--single-records", type=int, default=2000, help="records for the PutRecord baseline")
    args = parser.parse_args()
    n, n_single = args.records, args.single_records
    records = [message(i) for i in range(n)]
    tmp = Path(tempfile.mkdtemp(prefix="bench_kinesis_"))
    server = Kinesalite(tmp).start()
    try:
        rows = []
        client = server.client()

        s0 = server.create_stream(4)
        secs, _ = timed(lambda: [client.put_record(StreamName=s0, PartitionKey=k, Data=d) for k, d in records[:n_single]])
        rows.append(("put", "baseline: PutRecord per record", n_single, secs))

        s1 = server.create_stream(4)

        def bare_batches():
            for i in range(0, n, 500):
                client.put_records(StreamName=s1, Records=[{"PartitionKey": k, "Data": d} for k, d in records[i : i + 500]])

        secs, _ = timed(bare_batches)
        rows.append(("put", "baseline: bare put_records x500", n, secs))

        s2 = server.create_stream(4)
        block = KinesisStream.local(server.endpoint, s2)
        producer = block.producer()
        secs, _ = timed(lambda: producer.put(records))
        rows.append(("put", "KinesisProducer.put (batched, retrying)", n, secs))

        secs, got = timed(lambda: raw_get_all(client, s2, n))
        assert got == n, got
        rows.append(("consume", "baseline: bare get_records loop", n, secs))

        wh1 = Warehouse(duckdb_path=str(tmp / "wh1.duckdb"))
        consumer = block.consumer(wh1)
        secs, got = timed(lambda: consume_all(consumer, n, checkpoint=False))
        assert got == n, got
        rows.append(("consume", "KinesisConsumer.poll(1000), no checkpoint", n, secs))

        wh2 = Warehouse(duckdb_path=str(tmp / "wh2.duckdb"))
        consumer = block.consumer(wh2)
        secs, got = timed(lambda: consume_all(consumer, n, checkpoint=True))
        assert got == n, got
        rows.append(("consume", "KinesisConsumer.poll(1000) + checkpoint", n, secs))
    finally:
        server.stop()

    table = Table(title=f"Kinesis block vs baselines on kinesalite (4 shards, 20 keys, ~{len(records[0][1])} B records)")
    for col in ("side", "method", "records", "seconds", "records/s"):
        table.add_column(col, justify="left" if col in ("side", "method") else "right")
    for side, method, count, secs in rows:
        table.add_row(side, method, f"{count:,}", f"{secs:.2f}", f"{count / secs:,.0f}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
