"""The production trigger: real kinesalite records, shaped as Lambda's Kinesis event, through the
handler into the EXPRESS machine compiled from the per-batch flow (run on moto's ASL interpreter;
moto has no StartSyncExecution, so the test hands the handler the local runner as `start`)."""

from __future__ import annotations

import base64

import boto3
import pytest
from streamrecon_helpers import SENDERS, day_messages, open_breaks

from blocks.warehouse import get_warehouse, reset_warehouses
from tasks.stream import forget_books
from tasks.stream_consume import land_internal
from tasks.stream_lambda import handler, kinesis_event_to_batch
from tasks.stream_options import StreamOptions

pytestmark = pytest.mark.slow


def lambda_event(kinesalite, stream: str, messages: list[bytes]) -> dict:
    """Put the messages on a real stream, read them back, wrap them as the event source mapping does."""
    kinesis = boto3.client("kinesis", endpoint_url=kinesalite.endpoint, region_name="us-east-1")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2})
    for i in range(0, len(messages), 100):
        kinesis.put_records(StreamName=stream, Records=[{"Data": m, "PartitionKey": "acct"} for m in messages[i:i + 100]])
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=it, Limit=1000)["Records"]
    arn = f"arn:aws:kinesis:us-east-1:000000000000:stream/{stream}"
    return {"Records": [{
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"], "data": base64.b64encode(r["Data"]).decode(),
                    "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp()},
        "eventSource": "aws:kinesis", "eventID": f"{shard}:{r['SequenceNumber']}", "eventSourceARN": arn,
        "eventName": "aws:kinesis:record", "awsRegion": "us-east-1",
    } for r in records]}  # fmt: skip


def test_lambda_trigger_runs_the_batch_machine_like_the_prefect_flow(
    prefect_harness, kinesalite, stream_day, tmp_path, monkeypatch
):
    from asl_export import compile_flow
    from asl_export.local import LocalStepFunctions
    from flows.stream import reconcile_stream_batch

    messages = [m for _, m in day_messages(stream_day)][:80]
    event = lambda_event(kinesalite, "dropcopy-lambda", messages)
    batch = kinesis_event_to_batch(event)
    assert [b["data"].encode("latin-1") for b in batch] == messages
    monkeypatch.setenv("RECON_STREAM_SENDERS", __import__("json").dumps(SENDERS))
    monkeypatch.setenv("RECON_STREAM_WINDOW_SECONDS", "0")

    def fresh(name):
        monkeypatch.setenv("RECON_HOME", str(tmp_path / name))
        reset_warehouses()
        forget_books()
        land_internal(StreamOptions(landing_dir=str(stream_day)))

    fresh("prefect")
    expected = reconcile_stream_batch(batch=batch, stream="dropcopy-lambda", senders=SENDERS, window_seconds=0)
    expected_breaks = open_breaks(get_warehouse())

    fresh("lambda")
    machine = compile_flow(reconcile_stream_batch, machine_type="EXPRESS")
    with LocalStepFunctions(sleep=lambda s: None) as sfn:
        out = handler(event, None, start=lambda params: sfn.run(machine, params))
        again = handler(event, None, start=lambda params: sfn.run(machine, params))  # Lambda's retry
    breaks = open_breaks(get_warehouse())
    executions = get_warehouse().scalar("SELECT COUNT(*) FROM executions WHERE source = 'dropcopy'")
    reset_warehouses()

    assert out["records"] == 80 and out["result"]["matched"] == expected["matched"] > 0
    assert breaks.keys() == expected_breaks.keys()
    retry = again["result"]  # the same batch again: recognised, nothing created twice
    assert (retry["redelivered"], retry["executions"], retry["opened"]) == (80, 0, 0)
    assert executions == expected["executions"]
