"""The flows under Prefect: the per-batch flow compiles to an EXPRESS state machine and finds the
same result on the local Step Functions interpreter; the long-running flow replays FIX logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamrecon_helpers import SENDERS, day_messages, open_breaks

from blocks.warehouse import get_warehouse, reset_warehouses
from tasks.stream import forget_books
from tasks.stream_consume import land_internal
from tasks.stream_options import StreamOptions

pytestmark = pytest.mark.slow
VOLATILE = {"started_at", "finished_at", "seconds", "records_per_s", "lag_p50_ms", "lag_p99_ms", "lag_max_ms"}


def small_batch(day: Path, n: int = 60) -> list[dict]:
    return [
        {"data": m.decode("latin-1"), "partition_key": key, "shard_id": "shardId-000000000000",
         "sequence_number": str(49000000000000000000 + i), "arrival": "2026-11-24T15:00:00+00:00"}
        for i, (key, m) in enumerate(day_messages(day)[:n])
    ]  # fmt: skip


def fresh_home(monkeypatch, path: Path, day: Path) -> None:
    monkeypatch.setenv("RECON_HOME", str(path))
    reset_warehouses()
    forget_books()
    land_internal(StreamOptions(landing_dir=str(day)))


def test_per_batch_flow_runs_the_same_on_local_step_functions(prefect_harness, stream_day, tmp_path, monkeypatch):
    from asl_export import compile_flow
    from asl_export.local import LocalStepFunctions
    from asl_export.validate import validate_definitions
    from flows.stream import reconcile_stream_batch

    machine = compile_flow(reconcile_stream_batch, machine_type="EXPRESS")
    assert machine.machine_type == "EXPRESS"
    assert validate_definitions({"batch": machine.definition}) == {"batch": {"asl-validator": [], "statelint": []}}
    assert [t.task for t in machine.tasks] == ["stream-ingest-batch", "stream-reconcile-keys", "stream-batch-metrics"]
    params = {"batch": small_batch(stream_day), "stream": "dropcopy-test", "senders": SENDERS, "window_seconds": 0}

    fresh_home(monkeypatch, tmp_path / "prefect", stream_day)
    expected = reconcile_stream_batch(**params)
    expected_breaks = open_breaks(get_warehouse())

    fresh_home(monkeypatch, tmp_path / "asl", stream_day)
    with LocalStepFunctions(sleep=lambda seconds: None) as sfn:
        actual = sfn.run(machine, params)
    actual_breaks = open_breaks(get_warehouse())
    reset_warehouses()

    assert expected["records"] == 60 and expected["matched"] > 0
    assert {k: v for k, v in actual.items() if k not in VOLATILE} == {k: v for k, v in expected.items() if k not in VOLATILE}
    assert actual_breaks.keys() == expected_breaks.keys()


def test_long_running_flow_replays_fix_logs_with_a_flow_run_and_artifact_per_batch(
    prefect_harness, stream_day, tmp_path, monkeypatch
):
    from prefect.client.orchestration import get_client

    from flows.stream import stream_reconciliation

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    forget_books()
    files = sorted(str(p) for p in (stream_day / "dropcopy").glob("*.fix"))
    total = sum(1 for f in files for line in Path(f).read_bytes().split(b"\n") if line)
    result = stream_reconciliation(StreamOptions(replay_files=files, landing_dir=str(stream_day), batch_size=400,
                                                 batch_seconds=0.2, window_seconds=0, stop_when_idle=1.0))  # fmt: skip
    assert result["records"] == total and result["batches"] >= len(files)
    wh = get_warehouse()
    assert wh.scalar("SELECT COUNT(*) FROM stream_batches WHERE records > 0") == result["batches"]
    assert wh.scalar("SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NULL") == 0
    breaks = open_breaks(wh)
    assert breaks
    with get_client(sync_client=True) as client:
        artifacts = [a for a in client.read_artifacts() if a.key == "stream-replay-batches"]
        runs = [r for r in client.read_flow_runs() if r.name and r.state and r.state.is_completed()]
        flows = {f.id: f.name for f in client.read_flows()}
    assert len(artifacts) >= result["batches"]
    per_batch = [r for r in runs if flows.get(r.flow_id) == "reconcile-stream-batch"]
    assert len(per_batch) >= result["batches"]

    # Plain steps inside the consuming task: same breaks, still an artifact per batch.
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "plain"))
    reset_warehouses()
    forget_books()
    plain = stream_reconciliation({"replay_files": files, "landing_dir": str(stream_day), "batch_size": 400,
                                   "batch_seconds": 0.2, "window_seconds": 0, "stop_when_idle": 1.0,
                                   "flow_run_per_batch": False})  # JSON, as a deployment passes it  # fmt: skip
    assert plain["records"] == total and open_breaks(get_warehouse()).keys() == breaks.keys()
    with get_client(sync_client=True) as client:
        later = [a for a in client.read_artifacts() if a.key == "stream-replay-batches"]
    assert len(later) >= len(artifacts) + plain["batches"]
    reset_warehouses()
