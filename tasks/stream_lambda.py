"""Production's real-time trigger: Kinesis -> this Lambda -> the EXPRESS state machine compiled from
flows/stream.py:reconcile_stream_batch (one synchronous execution per Kinesis batch).

The Lambda's event source mapping hands it a batch of Kinesis records; the handler turns them into
the batch JSON the per-batch flow takes and runs the machine with StartSyncExecution. A failed
execution raises, so Lambda retries the batch: the flow is idempotent (records by content hash,
executions by ExecID), so a retried batch creates nothing twice.

Environment: RECON_STREAM_STATE_MACHINE_ARN (required), RECON_STREAM_NAME (default: the stream in
the event source ARN), RECON_STREAM_SENDERS (JSON {SenderCompID: broker}), RECON_STREAM_WINDOW_SECONDS.
The Step Functions call itself is the StepFunctions block's (blocks/step_functions.py).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime


def kinesis_event_to_batch(event: dict) -> list[dict]:
    """Lambda's Kinesis event -> [{data, partition_key, shard_id, sequence_number, arrival}]."""
    batch = []
    for record in event.get("Records", []):
        k = record["kinesis"]
        batch.append({
            "data": base64.b64decode(k["data"]).decode("latin-1"),
            "partition_key": k["partitionKey"],
            "shard_id": record["eventID"].split(":", 1)[0],
            "sequence_number": k["sequenceNumber"],
            "arrival": datetime.fromtimestamp(float(k["approximateArrivalTimestamp"]), UTC).isoformat(),
        })  # fmt: skip
    return batch


def execution_input(event: dict, env: Mapping[str, str]) -> dict:
    """The per-batch flow's parameters for one Lambda invocation."""
    records = event.get("Records", [])
    stream = env.get("RECON_STREAM_NAME") or (
        records[0]["eventSourceARN"].rsplit("/", 1)[-1] if records else "dropcopy"
    )
    return {
        "batch": kinesis_event_to_batch(event),
        "stream": stream,
        "senders": json.loads(env["RECON_STREAM_SENDERS"]) if env.get("RECON_STREAM_SENDERS") else None,
        "window_seconds": float(env.get("RECON_STREAM_WINDOW_SECONDS", "60")),
    }


def start_sync_execution(params: dict) -> dict:
    """Run the EXPRESS machine synchronously; raise (so Lambda retries) unless it succeeded."""
    from blocks.step_functions import StepFunctions

    return StepFunctions.from_environment(os.environ).start_sync(params)


def handler(event: dict, context=None, start: Callable[[dict], dict] | None = None) -> dict:
    """The Lambda entrypoint. `start` runs the machine (StartSyncExecution unless given)."""
    params = execution_input(event, os.environ)
    result = (start or start_sync_execution)(params)
    return {"records": len(params["batch"]), "result": result}
