"""The KinesisStream block saved in Prefect and loaded back (as `recon dropcopy` does with block:)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from blocks.kinesis import KinesisStream
from cli.dropcopy import stream_block
from recon.fixsession.config import StreamSection


@pytest.mark.slow
def test_saved_block_round_trips_and_keeps_the_secret_secret(prefect_harness, kinesalite):
    name = f"dropcopy-{uuid.uuid4().hex[:8]}"
    stream_name = kinesalite.create_stream(1)
    block = KinesisStream.local(kinesalite.endpoint, stream_name)
    block.aws_credentials.aws_secret_access_key = "s3cr3t-value"
    block.save(name)

    loaded = stream_block(StreamSection(block=name), Path("dropcopy.yaml"))
    assert loaded.stream_name == stream_name and loaded.engine == "kinesis"
    assert loaded.aws_credentials.aws_client_parameters.endpoint_url == kinesalite.endpoint
    assert loaded.aws_credentials.aws_secret_access_key.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(loaded) and "s3cr3t-value" not in loaded.model_dump_json()

    # the loaded block really talks to the stream
    loaded.producer().put([("ACC1", b"8=FIX.4.4\x0135=8\x0117=E1\x01")])
    from blocks.warehouse import Warehouse

    records = loaded.consumer(Warehouse(duckdb_path=":memory:")).poll(10, 2.0)
    assert [r.data for r in records] == [b"8=FIX.4.4\x0135=8\x0117=E1\x01"]
