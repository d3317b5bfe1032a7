"""Smoke tests of the holdout day maker (fast; they never run the product's reconciliation).

The maker's truth self-check holds on every regime; its files parse as CSV and as FIX (QuickFIX's
own parser checks BodyLength and CheckSum, and its dictionaries validate every message); the same
seed writes the same bytes; the self-check fails on a day that disagrees with its truth; the
harness's scoring gives 1.0 to the truth itself and counts what an engine gets wrong.
"""

from __future__ import annotations

import csv
import json
import sysconfig
from datetime import date
from pathlib import Path

import pytest
import quickfix as fix
import yaml

from tests.holdout import make
from tests.holdout.check import check_day, fix_messages
from tests.holdout.regimes import REGIMES
from tests.holdout.score import _fix_frame, score_recon

DAY = date(2026, 11, 27)
SMALL = 40

BREAK_TYPES = {"MISSING_AT_BROKER", "MISSING_INTERNALLY", "QUANTITY_MISMATCH", "PRICE_MISMATCH", "SIDE_MISMATCH",
               "ACCOUNT_MISMATCH", "SETTLEMENT_DATE_MISMATCH", "COMMISSION_MISMATCH", "DUPLICATE"}


def _dictionaries() -> dict:
    share = Path(sysconfig.get_path("data")) / "share" / "quickfix"
    return {"FIX.4.4": fix.DataDictionary(str(share / "FIX44.xml")),
            "FIX.4.2": fix.DataDictionary(str(share / "FIX42.xml"))}


@pytest.fixture(scope="module")
def baseline_day(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("holdout") / "day"
    make.write_day("baseline", 3, DAY, out, orders=250)
    return out


@pytest.mark.parametrize("regime", list(REGIMES))
def test_every_regime_agrees_with_its_truth(tmp_path, regime):
    truth = make.write_day(regime, 1, DAY, tmp_path, orders=SMALL)
    assert check_day(tmp_path) == []
    assert truth["counts"]["truth_matches"] > 0 and truth["counts"]["dropcopy_matches"] > 0
    assert (tmp_path / "reference" / "instruments.csv").exists() == REGIMES[regime]["master"]


def test_csv_files_parse_with_their_mappings_delimiters_and_columns(baseline_day):
    for mapping in sorted((baseline_day / "mappings").glob("*.yaml")):
        doc = yaml.safe_load(mapping.read_text())
        files = (list((baseline_day / "internal").glob("*.csv")) if doc["source"] == "internal"
                 else list((baseline_day / "broker").glob(f"{doc['name']}_*.csv")))
        assert len(files) == 1, mapping.name
        delim = doc.get("file", {}).get("delimiter", ",")
        trailer = doc.get("file", {}).get("trailer_prefix")
        with open(files[0], newline="") as fh:
            rows = list(csv.reader(fh, delimiter=delim))
        header, data = rows[0], rows[1:]
        if trailer:
            assert data[-1] == [trailer, str(len(data) - 1)]
            data = data[:-1]
        assert data and all(len(r) == len(header) for r in data)
        for spec in doc["fields"].values():
            cols = [spec] if isinstance(spec, str) else [spec.get(k) for k in ("column", "type_column", "mic_column",
                                                                              "qualifier")] + spec.get("columns", [])
            assert {c for c in cols if c} <= set(header), (mapping.name, cols)


def test_mappings_are_valid_for_the_product(baseline_day):
    from recon.mapping.spec import load_mapping

    for mapping in sorted((baseline_day / "mappings").glob("*.yaml")):
        spec = load_mapping(mapping)
        assert spec.name == mapping.stem


@pytest.mark.parametrize("regime", ["baseline", "fix_conventions"])
def test_fix_messages_pass_quickfix_checks_and_dictionaries(tmp_path, regime):
    make.write_day(regime, 2, DAY, tmp_path, orders=400)
    dds = _dictionaries()
    versions, execs = set(), set()
    for path in sorted((tmp_path / "dropcopy").glob("*.fix")):
        for line, fields, wire in fix_messages(path):
            text = wire.decode("latin-1")
            dd = dds[fields["8"]]
            msg = fix.Message(text, dd, True)  # raises InvalidMessage on a wrong BodyLength or CheckSum
            fix.DataDictionary.validate(msg, dd, dd)  # raises on a field the version does not define
            versions.add(fields["8"])
            execs.add(fields.get("150") if fields["8"] == "FIX.4.4" else "20=" + fields["20"])
            assert fields["35"] == "8", (path.name, line)
    assert versions == {"FIX.4.4", "FIX.4.2"}
    assert {"F", "G", "H", "0", "20=0", "20=1", "20=2"} <= execs


def test_quickfix_rejects_a_damaged_message(baseline_day):
    dd = _dictionaries()["FIX.4.4"]
    _, _, wire = fix_messages(baseline_day / "dropcopy" / "kestrel.fix")[1]
    text = wire.decode("latin-1")
    bad = text.replace("\x0131=", "\x0131=1", 1)
    with pytest.raises(fix.InvalidMessage):
        fix.Message(bad, dd, True)


def test_a_baseline_day_has_every_kind_of_record_and_event(baseline_day):
    truth = json.loads((baseline_day / "truth.json").read_text())
    assert BREAK_TYPES <= {b["type"] for b in truth["breaks"]}
    assert {"1:1", "n:1", "n:m"} <= {m["shape"] for m in truth["matches"]}
    assert {"record", "group"} <= {b.get("level") for b in truth["breaks"]}
    assert truth["excluded"] and truth["late_bookings"]
    sessions = truth["dropcopy"]["sessions"]
    assert sum(len(s["busted"]) for s in sessions.values()) > 0
    assert sum(len(s["chains"]) for s in sessions.values()) > 0
    assert sum(s["possdup_resends"] for s in sessions.values()) > 0
    assert {s["fix_version"] for s in sessions.values()} == {"FIX.4.4", "FIX.4.2"}
    assert {b["type"] for b in truth["dropcopy"]["breaks"]} >= {"MISSING_AT_BROKER", "PRICE_MISMATCH"}
    with open(baseline_day / "reference" / "account_xref.csv", newline="") as fh:
        assert next(csv.reader(fh)) == ["broker", "broker_account", "account"]


def test_same_seed_same_bytes_other_seed_other_day(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    make.write_day("rounding", 7, DAY, a, orders=30)
    make.write_day("rounding", 7, DAY, b, orders=30)
    make.write_day("rounding", 8, DAY, c, orders=30)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "truth.json").read_bytes() != (c / "truth.json").read_bytes()


def test_the_self_check_finds_a_truth_the_files_disagree_with(tmp_path):
    make.write_day("baseline", 4, DAY, tmp_path, orders=60)
    path = tmp_path / "truth.json"
    good = path.read_text()
    truth = json.loads(good)
    # a record that truth forgets
    lost = truth["matches"].pop()
    path.write_text(json.dumps(truth))
    problems = check_day(tmp_path)
    assert any(lost["internal"][0] in p for p in problems)
    # a broker price moved beyond tolerance under a truth match
    path.write_text(good)
    truth = json.loads(good)
    pair = next(m for m in truth["matches"] if m["shape"] == "1:1" and m["broker"][0].startswith("KP")
                and not m.get("interchangeable"))
    kfile = next((tmp_path / "broker").glob("kestrel_*.csv"))
    rows = list(csv.DictReader(kfile.open(newline="")))
    for r in rows:
        if r["Trade Ref"] == pair["broker"][0]:
            r["Price"] = str(round(float(r["Price"]) * 1.01, 4))
    with open(kfile, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert any(pair["broker"][0] in p and "price" in p for p in check_day(tmp_path))
    # a FIX message whose CheckSum no longer holds
    fx = tmp_path / "dropcopy" / "tollan.fix"
    lines = fx.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"|31=", b"|31=9", 1)
    fx.write_bytes(b"\n".join(lines))
    assert any(p.startswith("tollan.fix:3:") for p in check_day(tmp_path))


def test_scoring_gives_truth_full_marks_and_counts_mistakes(baseline_day, tmp_path):
    truth = json.loads((baseline_day / "truth.json").read_text())

    def rows(t):
        matches = [{"internal_ids": ";".join(m["internal"]), "broker_ids": ";".join(m["broker"])}
                   for m in t["matches"]]
        breaks = [{"break_type": b["type"], "internal_ids": ";".join(b["internal"]),
                   "broker_ids": ";".join(b["broker"])} for b in t["breaks"]]
        return matches, breaks

    matches, breaks = rows(truth)
    s = score_recon(truth, matches, breaks, tmp_path)
    assert (s["pair_precision"], s["pair_recall"], s["break_type_accuracy"], s["false_breaks"]) == (1.0, 1.0, 1.0, 0)
    # an engine that misses one match and reports its records as two MISSING breaks instead
    m = next(m for m in truth["matches"] if m["shape"] == "n:1")
    matches = [x for x in matches if x["internal_ids"] != ";".join(m["internal"])]
    breaks += [{"break_type": "MISSING_AT_BROKER", "internal_ids": ";".join(m["internal"]), "broker_ids": ""},
               {"break_type": "MISSING_INTERNALLY", "internal_ids": "", "broker_ids": ";".join(m["broker"])}]
    s = score_recon(truth, matches, breaks, tmp_path)
    assert s["pair_recall"] < 1.0 and s["false_breaks"] == 2 and s["pair_precision"] == 1.0
    assert s["false_by_truth"] == {"MAB on n:1 match": 1, "MI on n:1 match": 1}
    # drop copy: a correction's ExecID is scored as its original's
    dc = truth["dropcopy"]
    chains = {c: o for sess in dc["sessions"].values() for o, ch in sess["chains"].items() for c in ch}
    matches, breaks = rows(dc)
    renamed = {o: c for c, o in chains.items()}
    matches = [{**x, "broker_ids": ";".join(renamed.get(i, i) for i in x["broker_ids"].split(";"))} for x in matches]
    s = score_recon(dc, matches, breaks, tmp_path, chains)
    assert (s["pair_precision"], s["pair_recall"], s["false_breaks"]) == (1.0, 1.0, 0)


def test_account_workaround_rewrites_fix_with_valid_framing(baseline_day):
    dd = _dictionaries()["FIX.4.2"]
    path = baseline_day / "dropcopy" / "ashgrove_dv42.fix"
    line = path.read_bytes().split(b"\n")[0]
    new = _fix_frame(line, lambda pairs: [(t, b"ACCT-9" if t == b"1" else v) for t, v in pairs])
    assert new.split(b" : ")[0] == line.split(b" : ")[0]  # the log prefix is kept
    wire = new[new.find(b"8=FIX"):].decode("latin-1")
    msg = fix.Message(wire, dd, True)
    assert msg.getField(1) == "ACCT-9"


def test_usage_errors_exit_2(tmp_path, capsys):
    assert make.main(["--regime", "nope", "--seed", "1", "--date", "2026-11-27", "--out", str(tmp_path)]) == 2
    assert make.main(["--regime", "baseline", "--seed", "1", "--date", "2026-11-28", "--out", str(tmp_path)]) == 2
    assert make.main(["--regime", "baseline", "--seed", "1", "--date", "27/11/2026", "--out", str(tmp_path)]) == 2
    assert "weekend" in capsys.readouterr().err
