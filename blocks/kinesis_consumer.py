"""Read every shard of a Kinesis stream, in lineage order, with checkpoints in the warehouse.

- Shards come from ListShards (refreshed periodically and whenever a shard closes).
- A shard starts after its parents (ParentShardId, AdjacentParentShardId) are *finished*: read to
  their end (NextShardIterator is None) and checkpointed to that end. So, per partition key, every
  record of a parent is processed and committed before any record of its children.
- Start position: AFTER_SEQUENCE_NUMBER of the checkpoint; else TRIM_HORIZON for a child of a
  shard we know (resharding must not skip data); else the configured initial position
  (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER per shard, AT_TIMESTAMP).
- A checkpoint means "every record delivered on this shard up to here is committed downstream".
  After a crash, records delivered but not checkpointed are delivered again (at-least-once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from botocore.exceptions import ClientError

from blocks.stream_records import SHARD_END, CheckpointStore, StreamRecord

log = logging.getLogger("recon.stream")

POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AT_TIMESTAMP")


@dataclass
class _Shard:
    shard_id: str
    parents: tuple[str, ...]
    checkpointed: str | None = None
    delivered: str | None = None  # last sequence number handed out
    iterator: str | None = None
    ended: bool = False  # read to the end of a closed shard
    finished: bool = False  # ended and checkpointed to its end

    @property
    def outstanding(self) -> bool:
        return self.delivered is not None and self.delivered != self.checkpointed


class KinesisConsumer:
    def __init__(
        self,
        client,
        stream_name: str,
        checkpoints: CheckpointStore,
        *,
        initial_position: str = "TRIM_HORIZON",
        at_sequence_numbers: dict[str, str] | None = None,
        at_timestamp: datetime | None = None,
        refresh_shards_s: float = 5.0,
        idle_sleep_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ):
        if initial_position not in POSITIONS:
            raise ValueError(f"initial_position must be one of {POSITIONS}, got {initial_position!r}")
        if initial_position == "AT_TIMESTAMP" and at_timestamp is None:
            raise ValueError("initial_position AT_TIMESTAMP needs at_timestamp")
        self.client = client
        self.stream_name = stream_name
        self.checkpoints = checkpoints
        self.initial_position = initial_position
        self.at_sequence_numbers = at_sequence_numbers or {}
        self.at_timestamp = at_timestamp
        self.refresh_shards_s = refresh_shards_s
        self.idle_sleep_s = idle_sleep_s
        self.clock = clock
        self.shards: dict[str, _Shard] = {}
        self._refreshed_at = float("-inf")
        self._saved = checkpoints.load()

    # ---- the consumer interface -------------------------------------------------------------
    def poll(self, max_records: int = 1000, max_wait_s: float = 1.0) -> list[StreamRecord]:
        """Up to max_records records; returns early once caught up, at the latest after max_wait_s."""
        deadline = self.clock() + max_wait_s
        out: list[StreamRecord] = []
        while True:
            self._refresh_shards()
            got = 0
            for shard in self._ready():
                if len(out) >= max_records:
                    break
                records = self._read(shard, max_records - len(out))
                got += len(records)
                out += records
            if len(out) >= max_records or (out and not got):
                return out
            remaining = deadline - self.clock()
            if remaining <= 0:
                return out
            if not got:
                time.sleep(min(self.idle_sleep_s, remaining))

    def checkpoint(self, records: Sequence[StreamRecord]) -> None:
        """Persist, per shard, the highest sequence number among records (call after committing them)."""
        highest: dict[str, str] = {}
        for r in records:
            if r.shard_id not in highest or int(r.sequence_number) > int(highest[r.shard_id]):
                highest[r.shard_id] = r.sequence_number
        moved: dict[str, str] = {}
        for shard_id, seq in highest.items():
            shard = self.shards.get(shard_id)
            if shard is None:
                raise ValueError(f"checkpoint for unknown shard {shard_id} (records from another consumer?)")
            if shard.finished or (shard.checkpointed is not None and int(seq) <= int(shard.checkpointed)):
                continue  # an older batch: the checkpoint never moves back
            moved[shard_id] = seq
        self.checkpoints.save_many(moved)
        for shard_id, seq in moved.items():
            shard = self.shards[shard_id]
            shard.checkpointed = seq
            self._finish_if_done(shard)

    # ---- shards -----------------------------------------------------------------------------
    def _refresh_shards(self) -> None:
        now = self.clock()
        if now - self._refreshed_at < self.refresh_shards_s:
            return
        self._refreshed_at = now
        for s in self._list_shards():
            if s["ShardId"] in self.shards:
                continue
            parents = tuple(p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p)
            shard = _Shard(s["ShardId"], parents)
            saved = self._saved.get(shard.shard_id)
            if saved == SHARD_END:
                shard.finished = shard.ended = True
            elif saved is not None:
                shard.checkpointed = saved
            self.shards[shard.shard_id] = shard

    def _list_shards(self) -> list[dict]:
        shards: list[dict] = []
        kwargs: dict = {"StreamName": self.stream_name}
        while True:
            page = self.client.list_shards(**kwargs)
            shards += page["Shards"]
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _ready(self) -> list[_Shard]:
        """Unfinished shards whose parents are finished (or gone from the listing: trimmed)."""
        return [
            s
            for s in sorted(self.shards.values(), key=lambda s: s.shard_id)
            if not s.finished and all(p not in self.shards or self.shards[p].finished for p in s.parents)
        ]

    def _iterator(self, shard: _Shard) -> str:
        args: dict = {"StreamName": self.stream_name, "ShardId": shard.shard_id}
        after = shard.delivered or shard.checkpointed
        if after is not None:
            args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=after)
        elif any(p in self.shards for p in shard.parents):
            args.update(ShardIteratorType="TRIM_HORIZON")  # a child: from its first record
        elif self.initial_position == "AT_SEQUENCE_NUMBER":
            start = self.at_sequence_numbers.get(shard.shard_id)
            if start is None:
                args.update(ShardIteratorType="TRIM_HORIZON")
            else:
                args.update(ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)
        elif self.initial_position == "AT_TIMESTAMP":
            args.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=self.at_timestamp)
        else:
            args.update(ShardIteratorType=self.initial_position)
        return self.client.get_shard_iterator(**args)["ShardIterator"]

    def _read(self, shard: _Shard, limit: int) -> list[StreamRecord]:
        if shard.ended:
            return []
        if shard.iterator is None:
            shard.iterator = self._iterator(shard)
        try:
            page = self.client.get_records(ShardIterator=shard.iterator, Limit=min(limit, 10_000))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ExpiredIteratorException":
                shard.iterator = None  # re-acquired after the last delivered record
                return []
            if code in ("ProvisionedThroughputExceededException", "ThrottlingException"):
                log.info("get_records throttled on %s; skipping it this round", shard.shard_id)
                return []
            raise
        records = [
            StreamRecord(
                data=r["Data"],
                partition_key=r["PartitionKey"],
                shard_id=shard.shard_id,
                sequence_number=r["SequenceNumber"],
                arrival=r.get("ApproximateArrivalTimestamp"),
            )
            for r in page["Records"]
        ]
        if records:
            shard.delivered = records[-1].sequence_number
        shard.iterator = page.get("NextShardIterator")
        if shard.iterator is None:
            shard.ended = True
            self._refreshed_at = float("-inf")  # children may be waiting: list shards again
            self._finish_if_done(shard)
        return records

    def _finish_if_done(self, shard: _Shard) -> None:
        if shard.ended and not shard.outstanding and not shard.finished:
            shard.finished = True
            self.checkpoints.save(shard.shard_id, SHARD_END)
            log.info("shard %s finished", shard.shard_id)
