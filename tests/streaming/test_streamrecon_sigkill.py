"""A consumer SIGKILLed mid-batch (executions committed; not matched, published or checkpointed)
and restarted: no lost and no duplicate breaks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from streamrecon_helpers import daily_dropcopy_breaks, day_messages, open_breaks, with_broker_side

from blocks.kinesis import KinesisStream
from blocks.warehouse import get_warehouse, reset_warehouses
from tasks.stream import forget_books
from tasks.stream_consume import land_internal
from tasks.stream_options import StreamOptions

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WINDOW = 4.0  # long enough that no break is published before every record is in: events are exact


def test_killed_consumer_restarts_without_lost_or_duplicate_breaks(kinesalite, stream_day, tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "daily"))
    reset_warehouses()
    expected = with_broker_side(daily_dropcopy_breaks(stream_day))
    reset_warehouses()

    home = tmp_path / "stream"
    monkeypatch.setenv("RECON_HOME", str(home))
    forget_books()
    land_internal(StreamOptions(landing_dir=str(stream_day)))
    reset_warehouses()  # the worker processes open the DuckDB file: close ours
    name = kinesalite.create_stream(3)
    messages = day_messages(stream_day)
    KinesisStream.local(kinesalite.endpoint, name).producer().put(messages)

    env = {**os.environ, "RECON_HOME": str(home), "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
           **kinesalite.aws_env()}  # fmt: skip
    worker = [sys.executable, str(HERE / "streamrecon_worker.py"), kinesalite.endpoint, name, str(WINDOW)]
    first = subprocess.Popen([*worker, "120", "2"], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        assert first.stdout.readline().strip() == b"PAUSED"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    # A new process: the FIX book is rebuilt from the committed messages, the batch comes again.
    second = subprocess.run([*worker, "5000"], capture_output=True, env=env, cwd=ROOT, timeout=180)
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    redelivered_and_rest = int(second.stdout.split()[-1])
    assert 120 < redelivered_and_rest < len(messages)  # batch 1 was checkpointed, batch 2 came again

    wh = get_warehouse()
    got = open_breaks(wh)
    assert got.keys() == expected.keys() and got  # nothing lost, nothing extra
    events = {r["event"]: r["n"] for r in wh.fetch_rows("SELECT event, COUNT(*) AS n FROM break_events GROUP BY 1")}
    assert events == {"opened": len(expected)}  # each break opened once, never closed and reopened
    assert wh.scalar("SELECT COUNT(*) FROM stream_messages") == len({m for _, m in messages})
    assert wh.scalar("SELECT SUM(redelivered) FROM stream_batches") >= 120 - 1
    dup = "SELECT COUNT(*) FROM (SELECT broker, record_id FROM executions WHERE source = 'dropcopy' GROUP BY 1, 2 HAVING COUNT(*) > 1)"
    assert wh.scalar(dup) == 0
    assert wh.scalar("SELECT COUNT(*) FROM incident_outbox") == len(expected)
