"""The embedded default of the FIX stream: a FIX log file, one message per line.

FileSink appends (what the gateway publishes when no Kinesis is configured); FileReplay reads the
file through the same poll/checkpoint interface as the Kinesis consumer, following it as it grows,
with the byte offset after the last committed line as its checkpoint (warehouse table
stream_checkpoints, shard_id 'file').
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from blocks.stream_records import CheckpointStore, StreamRecord

FILE_SHARD = "file"


class FileSink:
    """Appends one raw message per line and fsyncs before returning (the gateway acks after put)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def put(self, records: Sequence[tuple[str, bytes]]) -> list[tuple[str, str]]:
        for _key, data in records:
            if b"\n" in data:
                raise ValueError("a message containing a newline cannot be stored one-per-line; use Kinesis")
        with open(self.path, "ab") as f:
            start = f.tell()
            f.write(b"".join(data + b"\n" for _key, data in records))
            f.flush()
            os.fsync(f.fileno())
        results, offset = [], start
        for _key, data in records:
            offset += len(data) + 1
            results.append((FILE_SHARD, str(offset)))
        return results


class FileReplay:
    def __init__(self, path: Path | str, checkpoints: CheckpointStore, *, partition_tag: bytes = b"1"):
        self.path = Path(path)
        self.checkpoints = checkpoints
        self.partition_tag = partition_tag
        saved = checkpoints.load().get(FILE_SHARD)
        self.offset = int(saved) if saved else 0  # next byte to read
        self.committed = self.offset

    def poll(self, max_records: int = 1000, max_wait_s: float = 1.0) -> list[StreamRecord]:
        deadline = time.monotonic() + max_wait_s
        while True:
            records = self._read(max_records)
            if records or time.monotonic() >= deadline:
                return records
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def checkpoint(self, records: Sequence[StreamRecord]) -> None:
        if not records:
            return
        end = max(int(r.sequence_number) for r in records)
        if end > self.committed:
            self.checkpoints.save(FILE_SHARD, str(end))
            self.committed = end

    def _read(self, max_records: int) -> list[StreamRecord]:
        if not self.path.exists():
            return []
        out: list[StreamRecord] = []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            while len(out) < max_records:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break  # a line still being written: read it once complete
                self.offset += len(line)
                data = line.rstrip(b"\r\n")
                if not data:
                    continue
                out.append(StreamRecord(data, self._partition_key(data), FILE_SHARD, str(self.offset)))
        return out

    def _partition_key(self, data: bytes) -> str:
        marker = b"\x01" + self.partition_tag + b"="
        at = data.find(marker)
        if at < 0:
            return ""
        end = data.find(b"\x01", at + len(marker))
        return data[at + len(marker) : end if end >= 0 else None].decode("latin-1")
