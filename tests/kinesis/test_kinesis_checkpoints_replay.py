"""Checkpoints in the warehouse (DuckDB and Snowflake via fakesnow) and the file replay consumer."""

from __future__ import annotations

import uuid

from blocks.kinesis import KinesisStream
from blocks.stream_records import SHARD_END, CheckpointStore


def test_checkpoints_merge_per_stream_and_shard(any_warehouse):
    stream = f"dropcopy-{uuid.uuid4().hex[:8]}"
    store = CheckpointStore(any_warehouse, stream)
    store.save_many({"shardId-000000000000": "4960001", "shardId-000000000001": "4960002"})
    store.save_many({"shardId-000000000000": "4960099"})
    store.save("shardId-000000000001", SHARD_END)
    CheckpointStore(any_warehouse, "other-stream").save("shardId-000000000000", "1")
    assert CheckpointStore(any_warehouse, stream).load() == {
        "shardId-000000000000": "4960099",
        "shardId-000000000001": SHARD_END,
    }


def test_file_replay_follows_a_growing_log_and_resumes_from_its_offset(tmp_path, any_warehouse):
    log = tmp_path / "dropcopy.fixlog"
    stream = KinesisStream(engine="file", replay_file=str(log))
    sink = stream.producer()
    consumer = stream.consumer(any_warehouse)
    assert consumer.poll(10, 0.05) == []  # no file yet: nothing, no error
    sink.put([("ACC1", b"8=FIX.4.4\x019=5\x0135=8\x011=ACC1\x0117=E1\x01"), ("ACC2", b"garbage line")])
    with open(log, "ab") as f:
        f.write(b"8=FIX.4.4\x0135=8\x011=ACC3\x0117=E3")  # a line still being written
    first = consumer.poll(10, 0.2)
    assert [r.partition_key for r in first] == ["ACC1", ""] and first[1].data == b"garbage line"
    consumer.checkpoint(first)
    with open(log, "ab") as f:
        f.write(b"\x01\n")
    second = consumer.poll(10, 0.2)
    assert [r.data for r in second] == [b"8=FIX.4.4\x0135=8\x011=ACC3\x0117=E3\x01"]
    # not checkpointed: a new consumer (after a crash) starts again at the third line
    again = stream.consumer(any_warehouse).poll(10, 0.2)
    assert [r.data for r in again] == [r.data for r in second]
