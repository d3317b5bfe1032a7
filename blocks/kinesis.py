"""The FIX stream block: Kinesis in production, a FIX log file (replay) as the embedded default.

    stream = KinesisStream(engine="kinesis", stream_name="dropcopy", region="us-east-1",
                           aws_credentials=AwsCredentials(aws_client_parameters={"endpoint_url": url}))
    stream.producer().put([(account, raw_fix_bytes), ...])       # the gateway's sink
    consumer = stream.consumer(warehouse)                        # poll / checkpoint
    batch = consumer.poll(max_records=500, max_wait_s=1.0); ...; consumer.checkpoint(batch)

Credentials and the endpoint come from prefect-aws AwsCredentials (SecretStr secret key); nothing
here logs them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from prefect.blocks.core import Block
from prefect_aws import AwsCredentials
from pydantic import Field

from blocks.kinesis_consumer import KinesisConsumer
from blocks.kinesis_producer import KinesisProducer
from blocks.stream_records import CheckpointStore, StreamRecord
from blocks.stream_replay import FileReplay, FileSink
from blocks.warehouse import Warehouse
from recon.paths import recon_home

__all__ = ["KinesisStream", "StreamRecord"]


class KinesisStream(Block):
    """Where drop-copy FIX messages travel: a Kinesis stream, or a local FIX log file."""

    _block_type_name = "Recon FIX Stream"
    engine: Literal["kinesis", "file"] = Field(
        default="file", description="kinesis, or file: the embedded default (a FIX log, one message per line)"
    )
    stream_name: str | None = Field(default=None, description="Kinesis stream name (engine=kinesis)")
    region: str = "us-east-1"
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="prefect-aws credentials; the endpoint via aws_client_parameters.endpoint_url",
    )
    replay_file: str | None = Field(default=None, description="FIX log file; default RECON_HOME/dropcopy.fixlog")
    initial_position: Literal["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AT_TIMESTAMP"] = "TRIM_HORIZON"
    at_sequence_numbers: dict[str, str] = Field(
        default_factory=dict, description="shard_id -> sequence number for AT_SEQUENCE_NUMBER"
    )
    at_timestamp: datetime | None = None
    max_put_attempts: int = 10

    @classmethod
    def local(cls, endpoint_url: str, stream_name: str, region: str = "us-east-1", **kwargs) -> KinesisStream:
        """A stream on a local Kinesis stand-in (kinesalite) with the usual dummy credentials."""
        creds = AwsCredentials(
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name=region,
            aws_client_parameters={"endpoint_url": endpoint_url},
        )
        return cls(engine="kinesis", stream_name=stream_name, region=region, aws_credentials=creds, **kwargs)

    def _require_stream(self) -> str:
        if self.engine != "kinesis":
            raise ValueError("this operation needs engine='kinesis'")
        if not self.stream_name:
            raise ValueError("engine 'kinesis' needs stream_name")
        return self.stream_name

    def client(self):
        self._require_stream()
        creds = self.aws_credentials
        if creds.region_name != self.region:
            creds = creds.model_copy(update={"region_name": self.region})
        return creds.get_client("kinesis")

    def replay_path(self) -> str:
        return self.replay_file or str(recon_home() / "dropcopy.fixlog")

    def producer(self) -> KinesisProducer | FileSink:
        if self.engine == "file":
            return FileSink(self.replay_path())
        return KinesisProducer(self.client(), self._require_stream(), max_attempts=self.max_put_attempts)

    def consumer(self, warehouse: Warehouse | None = None, **options) -> KinesisConsumer | FileReplay:
        """A consumer whose checkpoints live in `warehouse` (default: the embedded DuckDB one)."""
        warehouse = warehouse or Warehouse()
        if self.engine == "file":
            path = self.replay_path()
            return FileReplay(path, CheckpointStore(warehouse, f"file:{path}"), **options)
        name = self._require_stream()
        return KinesisConsumer(
            self.client(),
            name,
            CheckpointStore(warehouse, name),
            initial_position=self.initial_position,
            at_sequence_numbers=self.at_sequence_numbers,
            at_timestamp=self.at_timestamp,
            **options,
        )
