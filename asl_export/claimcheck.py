"""Claim checks: a value too large for a state's payload is kept in S3 and the state carries
{"$ref": "s3://..."} instead. Shared by the runtime (which writes and resolves them), the ECS
container path (which writes its result there) and the local runner.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

BUCKET_ENV = "ASL_CLAIM_CHECK_BUCKET"
PREFIX_ENV = "ASL_CLAIM_CHECK_PREFIX"


class PayloadTooLarge(ValueError):
    """A value that must stay inline in the state (a Map's item list) exceeds the budget."""


class ClaimCheck:
    """Reads and writes claim-checked values in S3."""

    def __init__(self, bucket: str | None, prefix: str = "asl-claim-check/") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = None

    @classmethod
    def from_env(cls) -> ClaimCheck:
        return cls(os.environ.get(BUCKET_ENV), os.environ.get(PREFIX_ENV, "asl-claim-check/"))

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def put(self, encoded_json: str, execution: str, state: str) -> tuple[str, str]:
        if not self.bucket:
            raise PayloadTooLarge(
                f"result of '{state}' is larger than the inline limit and no claim-check bucket is "
                f"configured (set {BUCKET_ENV})"
            )
        safe_state = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in state)
        key = f"{self.prefix}{execution}/{safe_state}/{uuid.uuid4().hex}.json"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=encoded_json.encode("utf-8"))
        return self.bucket, key

    def load(self, uri: str) -> Any:
        if not uri.startswith("s3://"):
            raise ValueError(f"claim check {uri!r} is not an s3:// URI")
        bucket, _, key = uri[len("s3://"):].partition("/")
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return json.loads(body)
