"""A consumer process for the SIGKILL test: processes batches idempotently, checkpoints after commit.

usage: python kinesis_consumer_worker.py ENDPOINT STREAM DUCKDB_PATH EXPECTED [PAUSE_AT_BATCH]

Per batch: every delivery is logged (stream_test_deliveries), each ExecID is inserted once
(stream_test_processed: the idempotent downstream), the batch is committed, then checkpointed.
With PAUSE_AT_BATCH the worker prints PAUSED after committing that batch and waits before its
checkpoint, so the test can kill it there (mid-batch: results committed, checkpoint not).
"""

from __future__ import annotations

import sys
import time

from blocks.kinesis import KinesisStream
from blocks.warehouse import Warehouse

DDL = """
CREATE TABLE IF NOT EXISTS stream_test_deliveries (batch INTEGER, exec_id VARCHAR, shard_id VARCHAR, seq VARCHAR);
CREATE TABLE IF NOT EXISTS stream_test_processed (exec_id VARCHAR PRIMARY KEY);
"""


def exec_id(data: bytes) -> str:
    return data.split(b"\x0117=")[1].split(b"\x01")[0].decode()


def main() -> None:
    endpoint, stream, db_path, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pause_at = int(sys.argv[5]) if len(sys.argv) > 5 else -1
    warehouse = Warehouse(duckdb_path=db_path)
    warehouse.execute(DDL)
    consumer = KinesisStream.local(endpoint, stream).consumer(warehouse)
    batch_no = warehouse.scalar("SELECT COALESCE(MAX(batch), 0) FROM stream_test_deliveries") + 1
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 5:
        records = consumer.poll(max_records=150, max_wait_s=0.5)
        if not records:
            done = warehouse.scalar("SELECT COUNT(*) FROM stream_test_processed") >= expected
            if done:
                break
            continue
        idle_since = time.monotonic()
        conn = warehouse.connection()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO stream_test_deliveries VALUES (?, ?, ?, ?)",
            [(batch_no, exec_id(r.data), r.shard_id, r.sequence_number) for r in records],
        )
        conn.executemany(
            "INSERT INTO stream_test_processed SELECT ? WHERE NOT EXISTS "
            "(SELECT 1 FROM stream_test_processed WHERE exec_id = ?)",
            [(exec_id(r.data), exec_id(r.data)) for r in records],
        )
        conn.execute("COMMIT")
        if batch_no == pause_at:
            print("PAUSED", flush=True)
            time.sleep(600)  # killed here: committed, not checkpointed
        consumer.checkpoint(records)
        batch_no += 1
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
