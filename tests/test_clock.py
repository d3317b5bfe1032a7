"""One clock for business time (recon/clock.py): nothing else reads the wall clock, and a pinned
clock reaches every caller, in every thread, and child processes through RECON_NOW."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from recon import clock

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("cli", "recon", "tasks", "blocks", "flows", "asl_export")
# (object, attribute) calls that read the wall clock for business time
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
              ("time", "time"), ("time", "time_ns")}


def _wall_clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in WALL_CLOCK:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_no_business_time_outside_the_clock_module():
    files = [p for pkg in PRODUCT for p in (ROOT / pkg).rglob("*.py") if p != ROOT / "recon" / "clock.py"]
    assert len(files) > 100
    offenders = [hit for p in files for hit in _wall_clock_reads(p)]
    assert offenders == [], "read the time through recon.clock:\n" + "\n".join(offenders)


def test_the_grep_sees_each_form(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import datetime, time\nfrom datetime import date\n"
                   "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\nd = datetime.datetime.utcnow()\n")
    assert len(_wall_clock_reads(bad, tmp_path)) == 4


def test_pinned_clock_reaches_threads_and_nests():
    t0 = datetime(2026, 11, 27, 22, 5, tzinfo=UTC)
    seen = []
    with clock.pinned(t0):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        with clock.pinned(datetime(2031, 1, 2, 3, 4)):  # naive means UTC
            assert clock.utcnow() == datetime(2031, 1, 2, 3, 4)
        assert clock.now() == t0 and clock.utcnow() == t0.replace(tzinfo=None)
        assert clock.today() == date(2026, 11, 27)  # 17:05 in New York
    assert seen == [t0]
    assert clock.now() != t0


def test_default_trade_date_is_new_york_today():
    with clock.pinned(datetime(2026, 11, 28, 3, 0, tzinfo=UTC)):  # 22:00 on the 27th in New York
        assert clock.today() == date(2026, 11, 27)
        from tasks.run_context import resolve_trade_date

        assert resolve_trade_date(None) == date(2026, 11, 27)


def test_recon_now_pins_a_child_process(monkeypatch):
    monkeypatch.setenv(clock.ENV, "2027-12-31T23:30:00Z")
    out = subprocess.run([sys.executable, "-c", "from recon import clock; print(clock.now().isoformat(), clock.today())"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out == ["2027-12-31T23:30:00+00:00", "2027-12-31"]
    monkeypatch.setenv(clock.ENV, "yesterday")
    with pytest.raises(ValueError, match="RECON_NOW='yesterday' is not an ISO-8601 time"):
        clock.now()
