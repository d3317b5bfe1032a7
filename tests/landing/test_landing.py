"""The one landing path (tasks/land.py): a file is identified by its content, so the same bytes
from a relative path, an absolute one or a copy elsewhere land once; a new version from the same
place replaces the old; a broker's drop-copy files are one lifecycle batch; every landing leaves
one control_totals row per file and every row keyed by a landed file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from blocks.warehouse import Warehouse
from recon.files import identify
from recon.generator import DayConfig, generate_day
from recon.inputs import DayInputs, FileInput, discover, from_args
from tasks.land import land_dropcopy, land_file, land_instruments

D = date(2026, 11, 27)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing") / "day"
    generate_day(DayConfig(trade_date=D, trades=150, seed=3), out)
    return out


@pytest.fixture()
def wh(tmp_path):
    warehouse = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    yield warehouse
    warehouse.close()


def land_day(wh: Warehouse, landing: str | Path, force: bool = False) -> list[dict]:
    day = discover(landing)
    land_instruments(day.model_dump(), wh)
    totals = [land_file(f.model_dump(), D, {"run_id": "r"}, force, wh) for f in day.mapped_files()]
    for batch in day.dropcopy_batches():
        totals += land_dropcopy(batch, day.model_dump(), D, {"run_id": "r"}, force, wh)
    return totals


def state(wh: Warehouse) -> dict:
    """What the warehouse holds, per table, and whether every row belongs to a landed file."""
    counts = {t: wh.scalar(f"SELECT COUNT(*) FROM {t}") for t in ("executions", "rejects", "control_totals", "landed_files")}
    counts["by_source"] = {r["source"]: r["n"] for r in wh.fetch_rows(
        "SELECT source, COUNT(*) AS n FROM executions GROUP BY source ORDER BY source")}
    counts["distinct_rows"] = wh.scalar("SELECT COUNT(*) FROM (SELECT DISTINCT file, line, record_id FROM executions)")
    counts["orphans"] = wh.scalar(
        "SELECT COUNT(*) FROM (SELECT file FROM executions UNION ALL SELECT file FROM rejects "
        "UNION ALL SELECT file FROM control_totals) f WHERE file NOT IN (SELECT file_id FROM landed_files)")
    return counts


def test_the_same_bytes_from_any_path_land_once(generated, tmp_path, monkeypatch, wh):
    monkeypatch.chdir(generated.parent)
    first = land_day(wh, "day")  # a relative landing directory
    once = state(wh)
    files = len(first)
    assert files == 7 and once["control_totals"] == once["landed_files"] == files
    assert once["orphans"] == 0 and once["distinct_rows"] == once["executions"]
    assert {t["file_id"] for t in first} == {identify(generated / p).file_id for p in (
        "internal/oms_20261127.csv", "broker/castlerock.csv", "broker/meridian.csv", "broker/northbridge.csv",
        "dropcopy/castlerock.fix", "dropcopy/meridian.fix", "dropcopy/northbridge.fix")}

    skipped = land_day(wh, generated.resolve())  # the same files by their absolute path: nothing to do
    assert all(t["skipped"] for t in skipped) and state(wh) == once
    assert [t["canonical"] for t in skipped] == [t["canonical"] for t in first]

    forced = land_day(wh, generated.resolve(), force=True)  # landed again: replaced, not doubled
    assert not any(t.get("skipped") for t in forced) and state(wh) == once

    copy = tmp_path / "elsewhere" / "day"
    shutil.copytree(generated, copy)
    from_copy = land_day(wh, copy, force=True)  # a copy in another directory is the same files
    assert state(wh) == once
    assert {t["file"] for t in from_copy} == {str(p.resolve()) for p in copy.rglob("*") if p.parent.name != "reference"
                                              and p.suffix in (".csv", ".fix")}
    uris = wh.fetch_rows("SELECT file_id, COUNT(*) AS n FROM landed_file_uris GROUP BY file_id")
    assert len(uris) == files and all(r["n"] == 2 for r in uris)  # lineage: both places, relative = absolute


def test_a_new_version_from_the_same_place_replaces_the_old(generated, tmp_path, wh):
    day = tmp_path / "day"
    shutil.copytree(generated, day)
    land_day(wh, day)
    before = state(wh)
    fix = day / "dropcopy" / "meridian.fix"
    old_id = identify(fix).file_id
    messages = fix.read_bytes().splitlines(keepends=True)
    fix.write_bytes(b"".join(messages[:-5]))  # the broker resends its drop copy, five messages shorter
    again = land_day(wh, day)
    meridian = next(t for t in again if t["broker"] == "meridian" and t["source"] == "dropcopy")
    assert not meridian.get("skipped") and meridian["rows_read"] == len(messages) - 5
    after = state(wh)
    assert after["orphans"] == 0 and after["landed_files"] == after["control_totals"] == before["landed_files"]
    assert wh.scalar("SELECT COUNT(*) FROM executions WHERE file = :f", {"f": old_id}) == 0
    assert after["by_source"]["dropcopy"] == before["by_source"]["dropcopy"] - (
        before["executions"] - after["executions"]) and after["executions"] < before["executions"]
    assert [t for t in again if t.get("skipped")] == [t for t in again if t["file_id"] != meridian["file_id"]]


def effective_dropcopy(wh: Warehouse, broker: str) -> set[tuple]:
    return {(r["record_id"], str(r["quantity"]), str(r["price"]), r["exec_type"]) for r in wh.fetch_rows(
        "SELECT record_id, quantity, price, exec_type FROM executions WHERE source = 'dropcopy' AND broker = :b",
        {"b": broker})}


def test_a_brokers_dropcopy_files_are_one_lifecycle_batch(generated, tmp_path):
    # a broker whose drop copy corrects a fill: cut its file between the fill and the correction
    broker = next(p.stem for p in sorted((generated / "dropcopy").glob("*.fix")) if b"|150=G|" in p.read_bytes())
    whole = Warehouse(duckdb_path=str(tmp_path / "whole.duckdb"))
    land_day(whole, generated)
    expected = effective_dropcopy(whole, broker)

    split = tmp_path / "split"
    shutil.copytree(generated, split)
    messages = (split / "dropcopy" / f"{broker}.fix").read_bytes().splitlines(keepends=True)
    (split / "dropcopy" / f"{broker}.fix").unlink()
    half = next(i for i, m in enumerate(messages) if b"|150=G|" in m)  # a correction of a fill before it
    (split / "dropcopy" / f"{broker}_fix44.fix").write_bytes(b"".join(messages[:half]))
    (split / "dropcopy" / f"{broker}_fix44b.fix").write_bytes(b"".join(messages[half:]))
    day = discover(split)
    batches = {b["broker"]: b["paths"] for b in day.dropcopy_batches()}
    assert sorted(batches) == ["castlerock", "meridian", "northbridge"]
    assert [Path(p).name for p in batches[broker]] == [f"{broker}_fix44.fix", f"{broker}_fix44b.fix"]

    batched = Warehouse(duckdb_path=str(tmp_path / "batched.duckdb"))
    totals = [t for t in land_day(batched, split) if t["broker"] == broker and t["source"] == "dropcopy"]
    assert len(totals) == 2 and sum(t["rows_read"] for t in totals) == len(messages)
    assert effective_dropcopy(batched, broker) == expected

    apart = Warehouse(duckdb_path=str(tmp_path / "apart.duckdb"))  # each file on its own: not the same day
    land_instruments(day.model_dump(), apart)
    for path in batches[broker]:
        land_dropcopy({"broker": broker, "paths": [path]}, day.model_dump(), D, None, False, apart)
    assert effective_dropcopy(apart, broker) != expected
    for w in (whole, batched, apart):
        w.close()


def test_discovery_and_explicit_inputs_are_one_model(generated, tmp_path):
    bare = tmp_path / "bare"
    for sub in ("internal", "broker"):
        shutil.copytree(generated / sub, bare / sub)
    day = discover(bare)  # no reference/: the instrument master is optional
    assert day.instruments is None and [f.mapping for f in day.internal] == ["oms"]
    assert [(f.name, f.mapping) for f in day.broker] == [("castlerock", "castlerock"), ("meridian", "meridian"),
                                                         ("northbridge", "northbridge")]
    assert day.check() is day
    explicit = from_args(None, generated / "reference" / "instruments.csv", [str(day.internal[0].path)],
                         [f"{f.name}={f.path}" for f in day.broker], [f"castlerock={generated / 'dropcopy' / 'castlerock.fix'}"])
    assert explicit.mapped_files() == day.mapped_files()
    assert explicit.dropcopy_batches() == [{"broker": "castlerock", "paths": [str(generated / "dropcopy" / "castlerock.fix")]}]
    with pytest.raises(ValueError, match="name the broker"):
        DayInputs(broker=[FileInput(path="x.csv")])
    with pytest.raises(ValueError, match="extra"):
        DayInputs.model_validate({"internal": [{"path": "x.csv", "broker": "castlerock"}]})
    with pytest.raises(ValueError, match="nothing to reconcile against"):
        DayInputs(internal=day.internal).check()
