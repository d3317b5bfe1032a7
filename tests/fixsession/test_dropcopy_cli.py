"""`recon dropcopy` as a real process: SIGKILL mid-session, restart, nothing lost (file stream)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from test_dropcopy_gateway_quickfix import dedupe, field, sent_app, wait_for

from blocks.kinesis import KinesisStream
from blocks.warehouse import Warehouse
from tests.support import REPO as ROOT
from tests.support.quickfix_acceptor import SENDER, TARGET

RECON = [sys.executable, "-c", "from cli import main; main()"]


def write_config(tmp_path: Path, port: int, fixlog: Path, suffix: str = ".yaml") -> Path:
    path = tmp_path / f"dropcopy{suffix}"
    if suffix == ".toml":
        path.write_text(
            f'[session]\nhost = "127.0.0.1"\nport = {port}\nsender_comp_id = "{TARGET}"\n'
            f'target_comp_id = "{SENDER}"\nheartbeat = 1\n\n[stream]\nengine = "file"\nreplay_file = "{fixlog}"\n'
        )
    else:
        path.write_text(
            f"session:\n  host: 127.0.0.1\n  port: {port}\n  sender_comp_id: {TARGET}\n"
            f"  target_comp_id: {SENDER}\n  heartbeat: 1\nstream:\n  engine: file\n  replay_file: {fixlog}\n"
            "partition_key:\n  tag: 1\n"
        )
    return path


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
def test_gateway_process_killed_and_restarted_loses_nothing(acceptor, tmp_path):
    fixlog = tmp_path / "dropcopy.fixlog"
    config = write_config(tmp_path, acceptor.port, fixlog, ".toml")
    env = {**os.environ, "RECON_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    cmd = [*RECON, "dropcopy", "--config", str(config)]

    first = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    acceptor.wait_logged_on(30)
    for i in range(5):
        acceptor.execution_report("ACC1", "AAPL", Decimal(i + 1), Decimal("190.25"))
    wait_for(lambda: lines(fixlog) >= 5, what="five messages in the log")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    wait_for(lambda: not acceptor.is_logged_on(), what="the acceptor to see the line drop")
    meanwhile = [acceptor.execution_report("ACC2", "MSFT", Decimal(i + 1), Decimal("410.5")) for i in range(4)]

    second = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        acceptor.wait_logged_on(30)  # QuickFIX accepts our outbound seq: it survived the kill
        wait_for(lambda: lines(fixlog) >= 9, timeout=20, what="the resent messages")
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=20)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err.decode()[-2000:]
    assert "published" in out.decode()

    sent = sent_app(acceptor)
    warehouse = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    stream = KinesisStream(engine="file", replay_file=str(fixlog))
    consumer = stream.consumer(warehouse)
    records = consumer.poll(max_records=100, max_wait_s=0.5)
    kept, _dropped = dedupe(records)
    assert sorted(field(r.data, 17) for r in kept) == sorted(sent.values())
    assert all(field(r.data, 43) == "Y" for r in kept if field(r.data, 17) in meanwhile)
    assert {r.partition_key for r in kept} == {"ACC1", "ACC2"}

    # The file replay checkpoints by offset: a new consumer on the same warehouse resumes after it.
    consumer.checkpoint(records[:4])
    again = stream.consumer(warehouse).poll(max_records=100, max_wait_s=0.2)
    assert [r.data for r in again] == [r.data for r in records[4:]]
    warehouse.close()


def test_bad_config_exits_2_with_a_clear_message(tmp_path):
    from typer.testing import CliRunner

    from cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("session:\n  host: 127.0.0.1\n  port: 9878\nstream:\n  engine: kinesis\n")
    result = CliRunner().invoke(app, ["dropcopy", "--config", str(bad)])
    assert result.exit_code == 2
    output = " ".join(result.output.split())  # one line, wrapped by the terminal width
    assert "session.sender_comp_id: Field required; session.target_comp_id: Field required" in output
    assert "stream: stream_name is required for engine kinesis" in output
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("session: {host: h, port: 1, sender_comp_id: A, target_comp_id: B}\nstream: {engine: kafka}\n")
    result = CliRunner().invoke(app, ["dropcopy", "--config", str(unknown)])
    assert result.exit_code == 2 and "stream.engine: Input should be 'kinesis' or 'file'" in result.output
    typo = tmp_path / "typo.yaml"
    typo.write_text("session: {host: h, port: 1, sender_comp_id: A, target_comp_id: B, heartbeats: 3}\n")
    result = CliRunner().invoke(app, ["dropcopy", "--config", str(typo)])
    assert result.exit_code == 2 and "session.heartbeats: Extra inputs are not permitted" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["dropcopy", "--example"])
    assert result.exit_code == 0 and "sender_comp_id" in result.output
