"""PutRecords in batches, retrying only the records that failed, with backoff (recon.retry) on throttling.

Limits (Kinesis): <= 500 records and <= 5 MiB per call; one record (data + partition key) <= 1 MiB;
partition key 1..256 characters. A whole call can be throttled (ClientError) or single records can
fail inside a successful call (ErrorCode per record): only those are sent again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError

from recon.retry import Backoff, RetriesExhausted, RetryLater, retry

log = logging.getLogger("recon.stream")

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
# Errors after which the same records may succeed later.
RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "LimitExceededException",
        "KMSThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


class PutRecordsFailed(RuntimeError):
    def __init__(self, failed: int, last_error: str):
        super().__init__(f"{failed} record(s) not accepted after retries; last error: {last_error}")
        self.failed = failed
        self.last_error = last_error


@dataclass
class ProducerStats:
    calls: int = 0
    records_sent: int = 0  # including retries
    records_retried: int = 0
    throttled_calls: int = 0
    failed_records: int = 0  # per-record ErrorCode answers


class KinesisProducer:
    def __init__(
        self,
        client,
        stream_name: str,
        *,
        max_attempts: int = 10,
        base_delay_s: float = 0.05,
        max_delay_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.client = client
        self.stream_name = stream_name
        self.max_attempts = max_attempts
        self.backoff = Backoff(base_delay_s, max_delay_s, rng or random.Random())
        self.sleep = sleep
        self.stats = ProducerStats()

    def put(self, records: Sequence[tuple[str, bytes]]) -> list[tuple[str, str]]:
        """Put (partition_key, data) records; returns (shard_id, sequence_number) for each, in order."""
        for key, data in records:
            _check_record(key, data)
        results: list[tuple[str, str]] = [("", "")] * len(records)
        for start, end in _batches(records):
            self._put_batch(records, list(range(start, end)), results)
        return results

    def _put_batch(self, records, pending: list[int], results: list[tuple[str, str]]) -> None:
        """One call per attempt with the records still pending (recon.retry: bounded, jittered)."""

        def attempt() -> None:
            nonlocal pending
            self.stats.calls += 1
            self.stats.records_sent += len(pending)
            try:
                answer = self.client.put_records(
                    StreamName=self.stream_name,
                    Records=[{"PartitionKey": records[i][0], "Data": records[i][1]} for i in pending],
                )
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in RETRYABLE:
                    raise
                self.stats.throttled_calls += 1
                raise RetryLater(code) from None
            still: list[int] = []
            last_error = ""
            for i, result in zip(pending, answer["Records"], strict=True):
                if result.get("ErrorCode"):
                    still.append(i)
                    last_error = f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
                else:
                    results[i] = (result["ShardId"], result["SequenceNumber"])
            self.stats.failed_records += len(still)
            pending = still
            if pending:
                log.info("put_records: %d of the batch failed (%s); retrying only those", len(pending), last_error)
                raise RetryLater(last_error)

        def count_retry(_exc: RetryLater, _number: int, _wait: float) -> None:
            self.stats.records_retried += len(pending)

        try:
            retry(attempt, attempts=self.max_attempts, backoff=self.backoff, sleep=self.sleep, on_retry=count_retry)
        except RetriesExhausted as exc:
            raise PutRecordsFailed(len(pending), exc.last.reason) from None


def _check_record(key: str, data: bytes) -> None:
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"record data must be bytes, got {type(data).__name__}")
    if not 1 <= len(key) <= 256:
        raise ValueError(f"partition key must be 1..256 characters, got {len(key)}: {key[:40]!r}")
    size = len(data) + len(key.encode())
    if size > MAX_RECORD_BYTES:
        raise ValueError(f"record of {size} bytes exceeds the Kinesis limit of {MAX_RECORD_BYTES} (key {key!r})")


def _batches(records: Sequence[tuple[str, bytes]]):
    """Index ranges of consecutive records within the per-call count and size limits."""
    start, size = 0, 0
    for i, (key, data) in enumerate(records):
        rec = len(data) + len(key.encode())
        if i > start and (i - start >= MAX_RECORDS_PER_CALL or size + rec > MAX_BYTES_PER_CALL):
            yield start, i
            start, size = i, 0
        size += rec
    if start < len(records):
        yield start, len(records)
