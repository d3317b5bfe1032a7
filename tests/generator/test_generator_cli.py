"""Determinism for a seed, the CLI's usage errors (exit 2) and its result tables."""

from __future__ import annotations

import json

from genday_helpers import generate
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = _files(generate(tmp_path / "a", trades=300, seed=5))
    b = _files(generate(tmp_path / "b", trades=300, seed=5))
    c = _files(generate(tmp_path / "c", trades=300, seed=6))
    assert a == b
    assert a.keys() == c.keys()
    assert a[next(k for k in a if k.name == "truth.json")] != c[next(k for k in c if k.name == "truth.json")]


def test_cli_writes_a_day(tmp_path):
    out = tmp_path / "day"
    res = runner.invoke(
        app,
        [
            "generate",
            "--date",
            "2026-11-27",
            "--trades",
            "200",
            "--seed",
            "3",
            "--out",
            str(out),
            "--brokers",
            "castlerock,meridian",
            "--break-rate",
            "0.1",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "ground truth" in res.output and "MISSING_AT_BROKER" in res.output
    truth = json.loads((out / "truth.json").read_text())
    assert truth["meta"]["brokers"] == ["castlerock", "meridian"]
    assert len(truth["breaks"]) == 20
    assert sorted(p.name for p in (out / "broker").iterdir()) == ["castlerock.csv", "meridian.csv"]
    assert (out / "dropcopy" / "meridian.fix").stat().st_size > 0


def test_cli_soh_delimiter(tmp_path):
    res = runner.invoke(
        app,
        [
            "generate",
            "--date",
            "2026-11-27",
            "-n",
            "50",
            "--out",
            str(tmp_path),
            "--brokers",
            "castlerock",
            "--fix-delimiter",
            "soh",
        ],
    )
    assert res.exit_code == 0, res.output
    first = (tmp_path / "dropcopy" / "castlerock.fix").read_bytes().splitlines()[0]
    assert first.startswith(b"8=FIX.4.4\x019=") and b"|" not in first


def test_cli_usage_errors_exit_2(tmp_path):
    cases = [
        (["--date", "2026-11-28"], "Saturday"),
        (["--date", "27/11/2026"], "not a date"),
        (["--date", "2026-11-27", "--brokers", "acme"], "unknown broker"),
        (["--date", "2026-11-27", "--break-rate", "1.5"], "between 0 and 1"),
        (["--date", "2026-11-27", "--trades", "0"], "at least 1"),
        (["--date", "2026-11-27", "--fix-delimiter", "tab"], "pipe or soh"),
        (
            ["--date", "2026-11-27", "--brokers", "castlerock", "--fix42", "meridian"],
            "only brokers being generated",
        ),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["generate", *args, "--out", str(tmp_path / "x")])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output, (args, res.output)
    assert not (tmp_path / "x").exists()


def test_cli_help():
    res = runner.invoke(app, ["generate", "--help"])
    assert res.exit_code == 0 and "--break-rate" in res.output and "--anomaly-rate" in res.output


def test_parallel_writing_writes_the_same_bytes(tmp_path, monkeypatch):
    from recon.generator import output

    serial = _files(generate(tmp_path / "serial", trades=400, seed=9))
    monkeypatch.setattr(output, "PARALLEL_FROM_ROWS", 0)
    parallel = _files(generate(tmp_path / "parallel", trades=400, seed=9))
    assert serial == parallel
