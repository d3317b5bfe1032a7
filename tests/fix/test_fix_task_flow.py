"""The @task wrapper inside a real Prefect flow run (session harness): small JSON out, CSVs on disk."""

from __future__ import annotations

import csv

import pytest
from fix_builders import er44


@pytest.mark.slow
def test_ingest_task_in_a_flow(prefect_harness, tmp_path):
    from prefect import flow

    from tasks.fix_ingest import ingest_fix_files_task

    f = tmp_path / "meridian.fix"
    f.write_bytes(b"\n".join([er44("M1"), er44("M2", exec_type="H", ref="M1"), er44("M3"), b"junk"]) + b"\n")

    @flow
    def ingest_day(paths: list[str], out_dir: str) -> dict:
        return ingest_fix_files_task(paths, "meridian", out_dir)

    summary = ingest_day([str(f)], str(tmp_path / "out"))
    assert (summary["executions"], summary["rejects"]) == (1, 1)
    totals = summary["totals"][str(f)]
    assert (totals["booked"], totals["busted"], totals["voided"], totals["rejected"]) == (1, 1, 1, 1)
    with open(summary["executions_csv"], newline="") as fh:
        assert [r["record_id"] for r in csv.DictReader(fh)] == ["M3"]
