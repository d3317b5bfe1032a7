"""`recon stream`: replay FIX logs locally, print per-batch metrics; bad usage exits 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


@pytest.mark.slow
def test_recon_stream_replays_and_prints_stats(stream_day, home):
    files = sorted(str(p) for p in (stream_day / "dropcopy").glob("*.fix"))
    args = ["stream", "--landing", str(stream_day), "--window-seconds", "0", "--idle", "1", "--plain",
            "--batch-size", "300", "--stats"]  # fmt: skip
    for f in files:
        args += ["--replay", f]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Stream run" in result.output and "Stream batches" in result.output
    assert "lag_p99_ms" in result.output

    again = runner.invoke(app, ["stream", "--stats", "--last", "2"])  # stored metrics, nothing consumed
    assert again.exit_code == 0, again.output
    assert "Stream batches (last 2)" in again.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["stream"], "nothing to consume"),
        (["stream", "--replay", "no/such/file.fix"], "file not found"),
        (["stream", "--replay", __file__, "--sender", "NBPRIME"], "SENDERCOMPID=broker"),
        (["stream", "--replay", __file__, "--stream", "prod"], "not both"),
        (["stream", "--replay", __file__, "--batch-size", "0"], "batch-size"),
    ],
)
def test_recon_stream_bad_usage_exits_2(args, message, home):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_recon_stream_help():
    result = runner.invoke(app, ["stream", "--help"])
    assert result.exit_code == 0 and "--window-seconds" in result.output and "--stats" in result.output
