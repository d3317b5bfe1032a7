"""The ingest-day flow on a generated day, under the Prefect test server: CSVs and FIX drop copies
land in the embedded warehouse under RECON_HOME through the daily flow's landing tasks; a rerun
skips what is landed already, a forced one replaces, and neither duplicates."""

from __future__ import annotations

from datetime import date

import pytest

from blocks.warehouse import get_warehouse, reset_warehouses
from recon.generator.day import DayConfig, generate_day


@pytest.mark.slow
def test_ingest_day_flow_lands_a_generated_day(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import ingest_day

    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=date(2026, 11, 27), trades=120, seed=5), day)
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "home"))
    reset_warehouses()
    try:
        first = ingest_day(landing_dir=str(day), trade_date="2026-11-27", run_id="r1")
        files = {t["mapping"]: t for t in first["files"]}
        assert set(files) == {"oms", "northbridge", "castlerock", "meridian"}
        assert all(t["rows_read"] == t["canonical"] + t["rejected"] for t in files.values())
        assert {t["broker"] for t in first["dropcopy"]} == {"northbridge", "castlerock", "meridian"}
        assert all(t["canonical"] > 0 for t in first["dropcopy"])
        assert not any(t.get("skipped") for t in [*first["files"], *first["dropcopy"]])

        wh = get_warehouse()
        by_source = {r["source"]: r["n"] for r in wh.fetch_rows(
            "SELECT source, COUNT(*) AS n FROM executions GROUP BY source")}
        assert by_source["internal"] == files["oms"]["canonical"]
        assert by_source["broker"] == sum(files[b]["canonical"] for b in ("northbridge", "castlerock", "meridian"))
        assert by_source["dropcopy"] == sum(t["canonical"] for t in first["dropcopy"])
        assert wh.scalar("SELECT COUNT(*) FROM landed_files") == len(first["files"]) + len(first["dropcopy"]) == 7

        again = ingest_day(landing_dir=str(day), trade_date="2026-11-27", run_id="r2")
        assert all(t["skipped"] for t in [*again["files"], *again["dropcopy"]])
        assert [t["canonical"] for t in again["files"]] == [t["canonical"] for t in first["files"]]
        forced = ingest_day(landing_dir=str(day), trade_date="2026-11-27", run_id="r3", force=True)
        assert [t["canonical"] for t in forced["dropcopy"]] == [t["canonical"] for t in first["dropcopy"]]
        assert wh.scalar("SELECT COUNT(*) FROM executions") == sum(by_source.values())
        assert wh.fetch_rows("SELECT DISTINCT run_id FROM control_totals") == [{"run_id": "r3"}]  # replaced r1
    finally:
        reset_warehouses()


def test_ingest_day_compiles_to_a_state_machine():
    """The flow stays traceable: small JSON between tasks, no control flow on task results."""
    from asl_export.compiler import compile_flow
    from flows.ingest import ingest_day

    states = compile_flow(ingest_day).definition["States"]
    for name in ("resolve-inputs", "land-instruments", "land-file", "land-dropcopy", "landing-totals"):
        assert any(s.startswith(name) for s in states), (name, list(states))
