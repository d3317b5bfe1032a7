"""What a stream consumer hands out, and the interface every consumer follows.

A flow calls `poll(max_records, max_wait_s)` for a micro-batch, processes and commits it, then
`checkpoint(records)`. Records are raw bytes: parsing (and rejecting garbage) is downstream's job,
so a malformed record never stops a consumer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from blocks.warehouse import Warehouse

SHARD_END = "SHARD_END"


@dataclass(frozen=True)
class StreamRecord:
    data: bytes
    partition_key: str
    shard_id: str
    sequence_number: str  # Kinesis sequence number, or the byte offset after the line for a file
    arrival: datetime | None = None  # ApproximateArrivalTimestamp (put time) when known


class StreamConsumer(Protocol):
    def poll(self, max_records: int = 1000, max_wait_s: float = 1.0) -> list[StreamRecord]: ...

    def checkpoint(self, records: Sequence[StreamRecord]) -> None: ...


class CheckpointStore:
    """Per-shard checkpoints in the warehouse table stream_checkpoints (sql/40_stream_checkpoints.sql)."""

    _MERGE = """
        MERGE INTO stream_checkpoints t
        USING ({source}) s
        ON t.stream = s.stream AND t.shard_id = s.shard_id
        WHEN MATCHED THEN UPDATE SET sequence_number = s.sequence_number, updated_at = CURRENT_TIMESTAMP()
        WHEN NOT MATCHED THEN INSERT (stream, shard_id, sequence_number, updated_at)
            VALUES (s.stream, s.shard_id, s.sequence_number, CURRENT_TIMESTAMP())
    """

    def __init__(self, warehouse: Warehouse, stream: str):
        self.warehouse = warehouse
        self.stream = stream
        warehouse.ensure_schema("40_stream_checkpoints.sql")

    def load(self) -> dict[str, str]:
        rows = self.warehouse.fetch_rows(
            "SELECT shard_id, sequence_number FROM stream_checkpoints WHERE stream = :stream",
            {"stream": self.stream},
        )
        return {r["shard_id"]: r["sequence_number"] for r in rows}

    def save(self, shard_id: str, sequence_number: str) -> None:
        self.save_many({shard_id: sequence_number})

    def save_many(self, positions: dict[str, str]) -> None:
        """One MERGE for every shard of a batch (bind names are generated here, values bound)."""
        if not positions:
            return
        params: dict[str, str] = {"stream": self.stream}
        selects = []
        for i, (shard_id, seq) in enumerate(positions.items()):
            params[f"shard{i}"], params[f"seq{i}"] = shard_id, seq
            selects.append(f"SELECT :stream AS stream, :shard{i} AS shard_id, :seq{i} AS sequence_number")
        self.warehouse.execute(self._MERGE.format(source=" UNION ALL ".join(selects)), params)
