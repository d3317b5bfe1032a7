"""`recon fix parse` end to end, a generated trading day's drop copies, and the group dictionary."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from fix_builders import er44
from typer.testing import CliRunner

from cli import app
from recon.fix.groups import GROUPS
from tasks.fix_ingest import parse_fix_files


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_cli_parse_writes_executions_rejects_and_totals(tmp_path):
    day1 = tmp_path / "northbridge.fix"
    day1.write_bytes(
        b"\n".join(
            [
                er44("E1", qty="100", px="10.5"),
                b"20261127-14:31:00.000 : " + er44("E2", side="2").replace(b"\x01", b"|"),
                er44("E3")[:-4] + b"999\x01",  # bad checksum
                er44("C1", exec_type="G", ref="E1", qty="90"),
                b"garbage",
            ]
        )
        + b"\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["fix", "parse", str(day1), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "FIX control totals" in result.output
    executions = _rows(out / "executions.csv")
    assert [(r["record_id"], r["quantity"], r["version"], r["side"], r["broker"]) for r in executions] == [
        ("E1", "90", "2", "buy", "northbridge"),
        ("E2", "100", "1", "sell", "northbridge"),
    ]
    assert executions[0]["exec_ids"] == "E1 C1" and executions[0]["price"] == "187.25"
    rejects = _rows(out / "rejects.csv")
    assert [(r["line"], r["reason"][:17]) for r in rejects] == [
        ("3", "CheckSum mismatch"),
        ("5", "garbage between m"),
    ]
    assert all(r["file"] == str(day1) for r in rejects)


def test_cli_missing_file_is_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["fix", "parse", str(tmp_path / "nope.fix"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert not (tmp_path / "executions.csv").exists()


def test_cli_instrument_master_and_broker_option(tmp_path, master):
    ref = tmp_path / "instruments.csv"
    master.write_csv(ref)
    f = tmp_path / "dc.fix"
    f.write_bytes(er44("E1") + b"\n")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["fix", "parse", str(f), "--out", str(out), "--broker", "castlerock", "--instruments", str(ref)]
    )
    assert result.exit_code == 0, result.output
    [row] = _rows(out / "executions.csv")
    assert (row["instrument_id"], row["broker"]) == ("EQ-AAPL", "castlerock")


@pytest.fixture(scope="module")
def generated_day(tmp_path_factory):
    from recon.generator.day import DayConfig, generate_day

    out = tmp_path_factory.mktemp("day")
    generate_day(DayConfig(date(2026, 11, 27), 400, seed=11), out)
    return out


@pytest.mark.slow
def test_generated_drop_copies_match_the_generator_truth(generated_day):
    from recon.instruments import InstrumentMaster

    master = InstrumentMaster.from_csv(generated_day / "reference" / "instruments.csv")
    truth = json.loads((generated_day / "truth.json").read_text())["dropcopy"]
    for broker, expected in truth.items():
        path = generated_day / "dropcopy" / f"{broker}.fix"
        executions, rejects, totals = parse_fix_files([path], broker, master)
        t = totals[str(path)]
        assert rejects == []
        assert t["duplicates"] == expected["possdup_resends"]
        assert t["not_booked"] == expected["non_booking"]
        assert t["busted"] == len(expected["busted"])
        # the generator keys a corrected fill by its latest ExecID; we keep the original as record_id
        latest = {e.extra.get("exec_ids", [e.record_id])[-1] for e in executions}
        assert latest == set(expected["effective"])
        assert not {e.record_id for e in executions} & set(expected["busted"])
        assert all(not e.instrument_id.count(":") for e in executions), "every instrument resolves"


def _dictionary_groups(version: str, msg_type: str) -> dict[str, set[str]]:
    """count tag -> member tags (direct members, nested count tags included) from QuickFIX's XML."""
    import quickfix  # noqa: F401  (the wheel ships the dictionaries)

    share = Path(quickfix.__file__).resolve().parent.parent.parent.parent / "share" / "quickfix"
    root = ET.parse(share / f"{version}.xml").getroot()
    numbers = {f.get("name"): f.get("number") for f in root.find("fields")}
    components = {c.get("name"): c for c in (root.find("components") or [])}
    out: dict[str, set[str]] = {}

    def members(node) -> list[str]:
        tags = []
        for child in node:
            if child.tag == "field":
                tags.append(numbers[child.get("name")])
            elif child.tag == "component":
                tags += members(components[child.get("name")])
            elif child.tag == "group":
                count = numbers[child.get("name")]
                out.setdefault(count, set()).update(members(child))
                tags.append(count)
        return tags

    message = next(m for m in root.find("messages") if m.get("msgtype") == msg_type)
    members(message)
    return out


@pytest.mark.parametrize("msg_type", ["8", "AE", "J", "AS", "AK"])
def test_group_dictionary_follows_fix44(msg_type):
    spec = _dictionary_groups("FIX44", msg_type)

    def check(count: str, group) -> None:
        delim, members, nested = group
        expected = spec[count]
        assert delim in expected
        extra = members - expected
        assert extra <= {"92", "76", "109", "159", "160", "105"}, (count, extra)  # FIX 4.2 extras only
        assert expected - members == set(), (count, expected - members)
        for sub_count, sub in nested.items():
            check(sub_count, sub)

    for count, group in GROUPS[msg_type].items():
        check(count, group)
