"""The KinesisStream block against a real kinesalite server: shards, resharding, throttling, restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import duckdb
import pytest
from botocore.exceptions import ClientError

from blocks.kinesis import KinesisStream
from blocks.kinesis_producer import KinesisProducer
from blocks.stream_records import SHARD_END
from blocks.warehouse import Warehouse
from tests.support import REPO as ROOT


def fix_fill(key: str, n: int) -> bytes:
    """A realistic drop-copy ExecutionReport body; ExecID encodes key and order."""
    return (
        f"8=FIX.4.4\x019=0\x0135=8\x0149=PRIMEBRK\x0156=FUNDRECON\x0134={n + 1}\x011={key}\x01"
        f"17={key}-{n:05d}\x01150=F\x0155=AAPL\x0132=100\x0131=190.25\x0110=000\x01"
    ).encode()


def exec_id(data: bytes) -> str:
    return data.split(b"\x0117=")[1].split(b"\x01")[0].decode()


def drain(consumer, expected: int, timeout: float = 30.0, batch: int = 200) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        records = consumer.poll(max_records=batch, max_wait_s=0.5)
        got += records
        consumer.checkpoint(records)
    return got


def assert_order_per_key(records) -> None:
    last: dict[str, int] = {}
    for r in records:
        key, n = exec_id(r.data).rsplit("-", 1)
        assert int(n) > last.get(key, -1), f"{key}: {n} after {last[key]}"
        last[key] = int(n)


@pytest.fixture
def warehouse(tmp_path):
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield wh
    wh.close()


def test_multi_shard_stream_every_record_once_in_order_per_key(kinesalite, warehouse):
    name = kinesalite.create_stream(4)
    block = KinesisStream.local(kinesalite.endpoint, name)
    records = [(f"ACC{k}", fix_fill(f"ACC{k}", n)) for n in range(60) for k in range(20)]
    results = block.producer().put(records)
    assert len({shard for shard, _ in results}) == 4  # the keys spread over every shard
    got = drain(block.consumer(warehouse), len(records))
    assert sorted(exec_id(r.data) for r in got) == sorted(exec_id(d) for _, d in records)
    assert_order_per_key(got)
    saved = warehouse.fetch_rows("SELECT shard_id, sequence_number FROM stream_checkpoints WHERE stream = :s", {"s": name})
    last_by_shard = {}
    for r in got:
        last_by_shard[r.shard_id] = r.sequence_number
    assert {r["shard_id"]: r["sequence_number"] for r in saved} == last_by_shard


def test_shard_split_during_consumption_reads_parent_before_children(kinesalite, warehouse):
    name = kinesalite.create_stream(2)
    block = KinesisStream.local(kinesalite.endpoint, name)
    producer = block.producer()
    keys = [f"ACC{k}" for k in range(16)]
    producer.put([(k, fix_fill(k, n)) for n in range(20) for k in keys])
    consumer = block.consumer(warehouse, refresh_shards_s=0.2)
    got = drain(consumer, 100, batch=100)[:100]
    assert len(got) == 100  # part of the parent shards consumed when the split happens

    client = kinesalite.client()
    shard = client.list_shards(StreamName=name)["Shards"][0]
    lo, hi = int(shard["HashKeyRange"]["StartingHashKey"]), int(shard["HashKeyRange"]["EndingHashKey"])
    client.split_shard(StreamName=name, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((lo + hi) // 2))
    kinesalite.wait_active(name)
    producer.put([(k, fix_fill(k, n)) for n in range(20, 40) for k in keys])

    got += drain(consumer, 16 * 40 - 100)
    assert len(got) == 16 * 40 and len({exec_id(r.data) for r in got}) == 16 * 40
    assert_order_per_key(got)  # per key: every parent record before any child record
    children = [s for s in client.list_shards(StreamName=name)["Shards"] if s.get("ParentShardId") == shard["ShardId"]]
    assert len(children) == 2 and any(r.shard_id == children[0]["ShardId"] or r.shard_id == children[1]["ShardId"] for r in got)
    saved = CheckpointsView(warehouse, name)
    assert saved[shard["ShardId"]] == SHARD_END


def CheckpointsView(warehouse, name) -> dict[str, str]:  # noqa: N802 - reads like a mapping
    rows = warehouse.fetch_rows("SELECT shard_id, sequence_number FROM stream_checkpoints WHERE stream = :s", {"s": name})
    return {r["shard_id"]: r["sequence_number"] for r in rows}


class ThrottlingClient:
    """Wraps a real kinesalite client: the 1st put_records call is throttled as a whole, the 2nd
    has every 3rd record fail with ProvisionedThroughputExceededException (the others really
    written), as Kinesis answers under load. Records every call's partition keys and data."""

    def __init__(self, client):
        self.client = client
        self.calls: list[list[bytes]] = []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def put_records(self, StreamName, Records):  # noqa: N803 - boto3's signature
        self.calls.append([r["Data"] for r in Records])
        n = len(self.calls)
        if n == 1:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded for shard"}},
                "PutRecords",
            )
        if n != 2:
            return self.client.put_records(StreamName=StreamName, Records=Records)
        keep = [i for i in range(len(Records)) if i % 3 != 0]
        real = self.client.put_records(StreamName=StreamName, Records=[Records[i] for i in keep])["Records"]
        answers = [{"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"}] * len(Records)
        for i, result in zip(keep, real, strict=True):
            answers[i] = result
        return {"FailedRecordCount": len(Records) - len(keep), "Records": answers}


def test_throttling_retries_only_failed_records_and_delivers_each_once(kinesalite, warehouse):
    name = kinesalite.create_stream(2)
    block = KinesisStream.local(kinesalite.endpoint, name)
    faulty = ThrottlingClient(block.client())
    delays: list[float] = []
    producer = KinesisProducer(faulty, name, sleep=delays.append)
    records = [(f"ACC{n % 7}", fix_fill(f"ACC{n % 7}", n)) for n in range(300)]
    producer.put(records)
    first_failed = [d for i, (_k, d) in enumerate(records) if i % 3 == 0]
    assert [len(c) for c in faulty.calls] == [300, 300, len(first_failed)]
    assert faulty.calls[2] == first_failed  # the retry carries exactly the failed records
    assert producer.stats.throttled_calls == 1 and producer.stats.failed_records == len(first_failed)
    assert len(delays) == 2 and all(0 <= d <= 2.0 for d in delays)
    got = drain(block.consumer(warehouse), len(records))
    assert sorted(exec_id(r.data) for r in got) == sorted(exec_id(d) for _, d in records)


def test_batches_respect_500_records_and_5_mib(kinesalite):
    name = kinesalite.create_stream(1)
    block = KinesisStream.local(kinesalite.endpoint, name)
    spy = ThrottlingClient(block.client())
    spy.calls = [[], []]  # skip the injected faults: every call passes through
    producer = KinesisProducer(spy, name)
    producer.put([("K", b"x" * 100) for _ in range(1200)] + [("K", b"y" * 900_000) for _ in range(7)])
    sizes = [len(c) for c in spy.calls[2:]]
    assert sizes == [500, 500, 205, 2]  # 200 small + 5 x 900 kB fit 5 MiB
    assert all(sum(len(d) for d in c) <= 5 * 1024 * 1024 for c in spy.calls[2:])
    with pytest.raises(ValueError, match="exceeds the Kinesis limit"):
        producer.put([("K", b"z" * (1024 * 1024))])


def test_malformed_records_pass_through_the_consumer(kinesalite, warehouse):
    name = kinesalite.create_stream(1)
    block = KinesisStream.local(kinesalite.endpoint, name)
    garbage = [b"\xff\xfe not fix at all", b"8=FIX.4.4\x019=5\x0135=8", fix_fill("ACC1", 1)]
    block.producer().put([("ACC1", g) for g in garbage])
    got = drain(block.consumer(warehouse), 3)
    assert [r.data for r in got] == garbage  # raw bytes; parsing and rejects happen downstream


def test_initial_positions_latest_and_at_sequence_number(kinesalite, warehouse):
    name = kinesalite.create_stream(1)
    before = KinesisStream.local(kinesalite.endpoint, name).producer().put([("A", fix_fill("A", n)) for n in range(5)])
    latest = KinesisStream.local(kinesalite.endpoint, name, initial_position="LATEST").consumer(
        Warehouse(duckdb_path=":memory:")
    )
    assert latest.poll(max_records=10, max_wait_s=0.3) == []  # positions itself at the tip
    KinesisStream.local(kinesalite.endpoint, name).producer().put([("A", fix_fill("A", 5))])
    assert [exec_id(r.data) for r in latest.poll(10, 2.0)] == ["A-00005"]
    shard_id, seq = before[2]
    at = KinesisStream.local(
        kinesalite.endpoint, name, initial_position="AT_SEQUENCE_NUMBER", at_sequence_numbers={shard_id: seq}
    ).consumer(warehouse)
    assert [exec_id(r.data) for r in drain(at, 4)] == ["A-00002", "A-00003", "A-00004", "A-00005"]


@pytest.mark.slow
def test_consumer_killed_mid_batch_resumes_from_checkpoint(kinesalite, tmp_path):
    name = kinesalite.create_stream(3)
    keys = [f"ACC{k}" for k in range(12)]
    records = [(k, fix_fill(k, n)) for n in range(80) for k in keys]
    KinesisStream.local(kinesalite.endpoint, name).producer().put(records)
    db = str(tmp_path / "consumer.duckdb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **kinesalite.aws_env()}
    worker = [sys.executable, str(ROOT / "tests/kinesis/kinesis_consumer_worker.py"), kinesalite.endpoint, name, db]

    first = subprocess.Popen([*worker, str(len(records)), "3"], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    assert first.stdout.readline().strip() == b"PAUSED"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    second = subprocess.run([*worker, str(len(records))], capture_output=True, env=env, cwd=ROOT, timeout=120)
    assert second.returncode == 0, second.stderr.decode()[-2000:]

    con = duckdb.connect(db, read_only=True)
    processed = {r[0] for r in con.execute("SELECT exec_id FROM stream_test_processed").fetchall()}
    deliveries = con.execute("SELECT batch, exec_id FROM stream_test_deliveries ORDER BY batch").fetchall()
    con.close()
    assert processed == {exec_id(d) for _, d in records}  # nothing lost
    count = defaultdict(int)
    for _batch, eid in deliveries:
        count[eid] += 1
    redelivered = {eid for eid, c in count.items() if c > 1}
    killed_batch = {eid for batch, eid in deliveries if batch == 3}
    assert redelivered and redelivered == killed_batch  # only the uncheckpointed batch came again
    assert max(count.values()) == 2
