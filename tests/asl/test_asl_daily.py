"""The daily reconciliation flow, compiled and run on the local Step Functions interpreter, finds
the same breaks as its Prefect run on the same generated day. Also: every flow in flows/ compiles
and validates (picked up as flows land)."""

from __future__ import annotations

import csv
import importlib
import pkgutil
from datetime import date

import pytest

from asl_export import compile_flow
from asl_export.validate import validate_definitions

D = date(2026, 11, 24)


def _flows_in_package():
    from prefect import Flow

    import flows

    found = []
    for info in pkgutil.iter_modules(flows.__path__):
        module = importlib.import_module(f"flows.{info.name}")
        found += [v for v in vars(module).values() if isinstance(v, Flow) and v.fn.__module__ == module.__name__]
    return found


ALL_FLOWS = _flows_in_package()


@pytest.mark.skipif(not ALL_FLOWS, reason="flows/ has no flows yet")
@pytest.mark.parametrize("each", ALL_FLOWS, ids=lambda f: f.name)
def test_every_flow_in_flows_compiles_and_validates(each):
    reports = validate_definitions({each.name: compile_flow(each).definition})
    assert reports == {each.name: {"asl-validator": [], "statelint": []}}


def _breaks(path):
    with open(path) as fh:
        return {row["break_id"]: row for row in csv.DictReader(fh)}


@pytest.mark.slow
def test_daily_reconciliation_same_breaks_as_prefect(prefect_harness, local_sfn, tmp_path, monkeypatch):
    from blocks.warehouse import reset_warehouses
    from flows.daily import daily_reconciliation
    from recon.generator import DayConfig, generate_day

    generate_day(DayConfig(trade_date=D, trades=300, seed=5), tmp_path / "day")
    params = {"trade_date": D, "landing_dir": str(tmp_path / "day"), "run_id": "run-1"}

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "prefect-home"))
    reset_warehouses()
    expected = daily_reconciliation(**params, out_dir=str(tmp_path / "prefect-out"))

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "asl-home"))
    reset_warehouses()
    actual = local_sfn.run(compile_flow(daily_reconciliation), {**params, "out_dir": str(tmp_path / "asl-out")})
    reset_warehouses()

    prefect_breaks, asl_breaks = _breaks(tmp_path / "prefect-out" / "breaks.csv"), _breaks(tmp_path / "asl-out" / "breaks.csv")
    assert asl_breaks.keys() == prefect_breaks.keys() and len(asl_breaks) == expected["breaks"] > 0
    volatile = {k for k, v in expected.items() if isinstance(v, str) and str(tmp_path) in v}
    assert {k: v for k, v in actual.items() if k not in volatile} == {k: v for k, v in expected.items() if k not in volatile}
