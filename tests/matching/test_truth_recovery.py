"""Generated days (several seeds, three brokers, every asset class): the engine recovers truth.json
and every input record ends in exactly one of matched, break or rejected."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from blocks.warehouse import Warehouse
from recon.evaluate import score
from recon.generator import DayConfig, generate_day
from recon.inputs import discover
from tasks.break_store import publish_breaks
from tasks.ingest import ingest_file, load_instruments
from tasks.match import match_day
from tasks.results import persist_results, source_totals

pytestmark = pytest.mark.slow
D = date(2026, 11, 25)


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_engine_recovers_truth(tmp_path, seed):
    day_dir = tmp_path / "day"
    generate_day(DayConfig(trade_date=D, trades=1500, seed=seed), day_dir)
    day = discover(day_dir)
    wh = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    load_instruments(wh, day.instruments)
    ingested = [ingest_file(wh, f.path, f.mapping, f.name, D) for f in [*day.internal, *day.broker]]
    match_day(wh, D)
    publish_breaks(wh, D, "broker", f"seed-{seed}")
    persist_results(wh, D, "broker", f"seed-{seed}")

    s = score(day_dir / "truth.json", wh.fetch_rows("SELECT * FROM w_matches"), wh.fetch_rows("SELECT * FROM w_breaks"))
    assert s.match_precision >= 0.999, s
    assert s.match_recall >= 0.99, s
    assert s.break_type_accuracy >= 0.97, s
    assert wh.scalar("SELECT COUNT(DISTINCT asset_class) FROM executions") == 6  # equity etf option future fx bond

    # control totals, exactly: read = canonical + rejected per file; canonical = matched + in breaks
    for t in ingested:
        assert t["rows_read"] == t["canonical"] + t["rejected"], t
    rows_in_files = 0
    for f in [*day.internal, *day.broker]:
        with open(f.path, newline="") as fh:
            rows_in_files += sum(1 for r in csv.reader(fh, delimiter="|" if "castlerock" in f.path else ","))
    headers_and_trailers = len(day.internal) + len(day.broker) + 1  # castlerock's trailer row
    assert sum(t["rows_read"] for t in ingested) == rows_in_files - headers_and_trailers
    totals = source_totals(wh, D)
    assert all(t["canonical"] == t["matched"] + t["in_breaks"] for t in totals)
    canonical = {(r["source"], r["broker"]): r["n"] for r in wh.fetch_rows(
        "SELECT source, broker, COUNT(*) AS n FROM executions WHERE trade_date = :d GROUP BY 1, 2", {"d": D})}
    assert {(t["source"], t["broker"]): t["canonical"] for t in totals} == canonical
    # the rejects are exactly the rows the generator wrote as cancelled (excluded), with a reason
    import json

    truth = json.loads((day_dir / "truth.json").read_text())
    rejected = {r["record_id"] for r in wh.fetch_rows("SELECT record_id, reason FROM rejects") if r["reason"]}
    assert rejected == {x["record_id"] for x in truth["excluded"]}
    wh.close()
