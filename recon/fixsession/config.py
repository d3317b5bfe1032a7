"""Session settings: who we are, whom we call, and how the session behaves; and the drop-copy
gateway's configuration file as a typed model (`DropCopyConfig`, unknown keys are errors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


@dataclass(frozen=True)
class SessionConfig:
    host: str
    port: int
    sender_comp_id: str
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    heartbeat_s: int = 30
    reset_on_logon: bool = False
    logon_timeout_s: float = 10.0
    logout_timeout_s: float = 2.0
    reconnect_initial_s: float = 1.0
    reconnect_max_s: float = 30.0
    # A message queued while a resend is in flight waits here; beyond this the peer is misbehaving.
    max_queued: int = 100_000

    def __post_init__(self) -> None:
        if not (0 < self.port < 65536):
            raise ValueError(f"port must be 1..65535, got {self.port}")
        if self.heartbeat_s <= 0:
            raise ValueError(f"heartbeat must be > 0 seconds, got {self.heartbeat_s}")
        for name in ("sender_comp_id", "target_comp_id", "host"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required")
        if not self.begin_string.startswith("FIX"):
            raise ValueError(f"begin_string must look like FIX.4.4, got {self.begin_string!r}")


# ---- the gateway's file (recon dropcopy --config) ------------------------------------------------
class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionSection(_Section):
    host: str = Field(min_length=1)
    port: int = Field(gt=0, lt=65536)
    sender_comp_id: str = Field(min_length=1)
    target_comp_id: str = Field(min_length=1)
    begin_string: str = Field("FIX.4.4", pattern=r"^FIX")
    heartbeat: int = Field(30, gt=0, description="HeartBtInt, seconds")
    reset_on_logon: bool = False

    def session_config(self) -> SessionConfig:
        return SessionConfig(
            host=self.host, port=self.port, sender_comp_id=self.sender_comp_id, target_comp_id=self.target_comp_id,
            begin_string=self.begin_string, heartbeat_s=self.heartbeat, reset_on_logon=self.reset_on_logon,
        )  # fmt: skip


class StreamSection(_Section):
    """A saved KinesisStream block (`block: NAME`), or the stream's settings inline."""

    block: str | None = None
    engine: Literal["kinesis", "file"] = "file"
    stream_name: str | None = None
    region: str = "us-east-1"
    endpoint_url: str | None = Field(None, description="a local Kinesis stand-in")
    aws_credentials_block: str | None = Field(None, description="a saved AwsCredentials block")
    replay_file: str | None = Field(None, description="engine file: the FIX log appended to")

    @model_validator(mode="after")
    def _kinesis_needs_a_stream(self) -> StreamSection:
        if self.block is None and self.engine == "kinesis" and not self.stream_name:
            raise ValueError("stream_name is required for engine kinesis")
        return self


class PartitionKey(_Section):
    tag: int = Field(1, gt=0, description="FIX tag whose value keys a message's shard (1 = Account)")


class DropCopyConfig(_Section):
    """dropcopy.yaml (or .toml): `recon dropcopy --example` prints one."""

    session: SessionSection
    stream: StreamSection = Field(default_factory=StreamSection)
    partition_key: PartitionKey = Field(default_factory=PartitionKey)
