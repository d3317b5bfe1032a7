"""Generator -> ingestion round trip: every generated record is canonical or rejected with a reason,
and the counts agree with the generator's truth.json. Then the same day with damaged files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from blocks.warehouse import Warehouse
from recon.generator.day import DayConfig, generate_day
from recon.inputs import discover
from tasks.ingest import ingest_file, load_instruments


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("day")
    generate_day(DayConfig(trade_date=date(2026, 11, 27), trades=200, seed=11), out)
    return out


def _ingest_csvs(day: Path, wh: Warehouse) -> dict[str, dict]:
    inputs = discover(day)
    load_instruments(wh, inputs.instruments)
    return {f.mapping: ingest_file(wh, f.path, f.mapping, f.name, "2026-11-27") for f in inputs.mapped_files()}


def test_generated_day_round_trip(day: Path, tmp_path: Path):
    truth = json.loads((day / "truth.json").read_text())
    wh = Warehouse(duckdb_path=str(tmp_path / "rt.duckdb"))
    totals = _ingest_csvs(day, wh)

    counts = truth["counts"]
    assert totals["oms"]["rows_read"] == counts["internal_rows"]
    for broker, n in counts["broker_rows"].items():
        assert totals[broker]["rows_read"] == n
        assert totals[broker]["broker"] == broker
    assert totals["castlerock"]["trailer_status"] == "ok"
    for t in totals.values():
        assert t["rows_read"] == t["canonical"] + t["rejected"]

    # The only rejects are the rows the sources mark cancelled, each with the filter's reason.
    rejects = wh.fetch_rows("SELECT source, record_id, reason FROM rejects ORDER BY record_id")
    excluded = sorted(truth["excluded"], key=lambda e: e["record_id"])
    assert [r["record_id"] for r in rejects] == [e["record_id"] for e in excluded]
    assert all(r["reason"].startswith("filtered: ") and "=CANCELLED not in [" in r["reason"] for r in rejects)

    # Every record the truth pairs or breaks is canonical, on the right side, for the right broker.
    ids = {(r["source"], r["record_id"]): r for r in wh.fetch_rows(
        "SELECT source, record_id, broker, instrument_id, asset_class FROM executions")}
    for entry in truth["matches"] + truth["breaks"]:
        for rid in entry.get("internal", []):
            assert ("internal", rid) in ids, rid
        for rid in entry.get("broker", []):
            assert ids[("broker", rid)]["broker"] == entry["broker_name"]
    # The generator quotes only identifiers its master knows: nothing falls back to <TYPE>:<value>.
    assert not [r for r in ids.values() if ":" in r["instrument_id"] or r["asset_class"] is None]
    wh.close()


def test_generated_day_with_damaged_files(day: Path, tmp_path: Path):
    """Damage the generated files the way real ones arrive damaged; the counts still add up."""
    damaged = tmp_path / "damaged"
    for sub in ("reference", "internal", "broker"):
        (damaged / sub).mkdir(parents=True)
        for f in (day / sub).glob("*.csv"):
            (damaged / sub / f.name).write_text(f.read_text())
    cr = damaged / "broker" / "castlerock.csv"
    lines = cr.read_text().splitlines()
    fields = lines[1].split("|")
    fields[7] = "12O.5"  # a letter O in the price
    lines[1] = "|".join(fields)
    lines[2] = lines[2].replace("|B|", "|BUY|").replace("|S|", "|SELL|")
    lines.insert(3, "C-TRUNCATED|LSEQ-A|ORD")
    cr.write_text("\n".join(lines) + "\n")  # the trailer still counts the original records
    nb = damaged / "broker" / "northbridge.csv"
    nb_lines = nb.read_text().splitlines()
    nb_lines[1] = nb_lines[1].replace(",2026-11-27,", ",27/11/2026,", 1)
    nb.write_text("\n".join(nb_lines) + "\n")

    wh = Warehouse(duckdb_path=str(tmp_path / "dmg.duckdb"))
    totals = _ingest_csvs(damaged, wh)
    c = totals["castlerock"]
    original = int(lines[-1].split("|")[1])
    assert c["rows_read"] == original + 1 and c["canonical"] == original - 2
    assert c["rejected_by_reason"] == {"bad number": 1, "malformed row": 1, "unknown side code": 1}
    assert (c["trailer_status"], c["file_errors"]) == ("mismatch", 1)
    reasons = {r["line"]: r["reason"] for r in wh.fetch_rows(
        "SELECT line, reason FROM rejects WHERE file = :f", {"f": c["file_id"]})}
    assert reasons[2] == "bad number: PRICE='12O.5'"
    assert reasons[3].startswith("unknown side code: BS_CODE='")
    assert reasons[4] == "malformed row: expected 16 fields, got 3"
    assert reasons[len(lines)] == f"control total: trailer says {original} records, the file has {original + 1}"
    n = totals["northbridge"]
    assert n["rejected_by_reason"] == {"bad date": 1} and n["rows_read"] == n["canonical"] + 1
    wh.close()
