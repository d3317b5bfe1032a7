"""StreamOptions: everything a streaming reconciliation run is told, as one typed value.

The long-running flow (flows/stream.py:stream_reconciliation) takes it as its one parameter, the
consuming step (tasks/stream_consume.py) reads it, and `recon stream` builds it from its options.
It is plain JSON on the wire (a Prefect parameter, a Step Functions execution input); unknown keys
and out-of-range values are refused with the field named.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # What to consume: a saved KinesisStream block, or FIX log files replayed (broker = file name).
    # Neither: the default KinesisStream block (the embedded file stream under RECON_HOME).
    stream_ref: str | None = None
    replay_files: list[str] | None = None
    # The internal side, landed before the first batch.
    landing_dir: str | None = Field(None, description="a landing directory: its master and internal files")
    internal: list[str] | None = Field(None, description="internal (OMS) files")
    instruments: str | None = Field(None, description="an instrument master file")
    # Whose records: a record's own broker, else SenderCompID(49) through `senders`, else `broker`.
    broker: str | None = None
    senders: dict[str, str] | None = None
    # Micro-batches and windows.
    batch_size: int = Field(500, ge=1, description="max records per micro-batch")
    batch_seconds: float = Field(1.0, gt=0, description="a batch closes this long after its first record")
    window_seconds: float = Field(60.0, ge=0, description="an unmatched fill becomes a break this long after arrival")
    # When to stop (none given: run until stopped).
    max_batches: int | None = Field(None, ge=1)
    duration_seconds: float | None = Field(None, ge=0)
    stop_when_idle: float | None = Field(None, ge=0, description="seconds with nothing new or pending")
    warehouse_ref: str | None = None
    flow_run_per_batch: bool = Field(True, description="each batch a flow run (UI), or the same steps as plain calls")

    @model_validator(mode="after")
    def _one_source(self) -> StreamOptions:
        if self.stream_ref and self.replay_files:
            raise ValueError("give stream_ref or replay_files, not both")
        return self
