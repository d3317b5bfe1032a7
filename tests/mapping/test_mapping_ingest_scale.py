"""The embedded engine's fast path (DuckDB reads the CSV itself) against the portable pyarrow reader:
same canonical rows, rejects and totals; the fallback happens exactly when DuckDB's reader cannot
vouch for line numbers (blank lines, malformed rows mid-file, newlines inside quotes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_mapping_custom_layout import ACME_HEADER, ACME_YAML
from test_mapping_layouts import (
    CR_HEADER,
    CR_ROWS,
    MR_HEADER,
    MR_ROWS,
    NB_HEADER,
    NB_ROWS,
    OMS_HEADER,
    OMS_ROWS,
)

import tasks.ingest as ingest
from blocks.warehouse import Warehouse
from tasks.ingest import ingest_file

EXEC_COLS = ("record_id, account, instrument_id, asset_class, side, quantity, price, gross, commission, fees, net, "
             "accrued, currency, trade_date, settle_date, transact_time, broker, record_kind, symbol, order_id, line")


@pytest.fixture()
def readers(monkeypatch):
    """Counts which reader ingested each file: 'native' (DuckDB) or 'pyarrow'."""
    used: list[str] = []
    real = ingest._in_transaction

    def in_transaction(warehouse, spec, source, broker, trade_date, run_id, plan):
        result = real(warehouse, spec, source, broker, trade_date, run_id, plan)
        used.append("native" if plan is not None else "pyarrow")
        return result

    monkeypatch.setattr(ingest, "_in_transaction", in_transaction)
    return used


def _snapshot(wh: Warehouse, path: Path) -> tuple:
    key = {"f": str(path.resolve())}
    ex = wh.fetch_rows(f"SELECT {EXEC_COLS} FROM executions WHERE file = :f ORDER BY line", key)
    rj = wh.fetch_rows("SELECT line, reason, record_id, raw FROM rejects WHERE file = :f ORDER BY line, reason", key)
    raw = wh.scalar("SELECT COUNT(*) FROM (SELECT _line FROM raw_" + path.stem.split("_")[0] + " WHERE _file = :f)", key)
    return ex, rj, raw


def _portable(monkeypatch, wh, path, mapping, **kw):
    """The same file through the pyarrow reader only."""
    with monkeypatch.context() as m:
        m.setattr(ingest, "native_candidate", lambda source: False)
        return ingest_file(wh, path, mapping, **kw)


CASES = [
    ("castlerock", "castlerock.psv", CR_HEADER + "\n".join(CR_ROWS) + f"\nTRL|{len(CR_ROWS)}\n"),
    ("castlerock", "castlerock_crlf.psv", (CR_HEADER + "\n".join(CR_ROWS) + "\nTRL|9\n").replace("\n", "\r\n")),
    ("meridian", "meridian.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n"),
    ("oms", "oms.csv", OMS_HEADER + "\n".join(OMS_ROWS)),  # no newline after the last row
    ("northbridge", "northbridge.csv", NB_HEADER + "\n".join(r for r in NB_ROWS if r and r.count(",") == 17)
     + "\nNB-99,EQLS-1,O-99\n"),  # a truncated last line: malformed, after every data row
]


@pytest.mark.parametrize(("mapping", "name", "text"), CASES, ids=[c[1] for c in CASES])
def test_native_reader_gives_what_the_portable_reader_gives(wh, write, readers, monkeypatch, mapping, name, text):
    path = write(name, text)
    native = ingest_file(wh, path, mapping)
    assert readers == ["native"]
    native_rows = _snapshot(wh, path)
    portable = _portable(monkeypatch, wh, path, mapping)
    assert readers == ["native", "pyarrow"]
    assert portable == native
    assert _snapshot(wh, path) == native_rows
    assert native["rows_read"] == native["canonical"] + native["rejected"] and native["canonical"] > 0


def test_crlf_trailer_mismatch_and_truncated_line_on_the_native_path(wh, write, readers, by_id):
    path = write("castlerock_crlf_bad.psv", (CR_HEADER + "\n".join(CR_ROWS) + "\nCR-11|EQLS-1\nTRL|12\n").replace("\n", "\r\n"))
    totals = ingest_file(wh, path, "castlerock")
    assert readers == ["native"]
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (11, 7, 4)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("mismatch", 12, 1)
    rj = by_id("rejects", path)
    assert rj["line12"]["reason"] == "malformed row: expected 16 fields, got 2" and rj["line12"]["raw"] == "CR-11|EQLS-1"
    assert rj["line13"]["reason"] == "control total: trailer says 12 records, the file has 11"
    assert rj["line13"]["raw"] == "TRL|12"


def test_a_trailer_padded_to_full_width_is_a_trailer_not_a_row(wh, write, readers, by_id):
    path = write("castlerock_padded.psv", CR_HEADER + "\n".join(CR_ROWS[:3]) + "\nTRL|3" + "|" * 14 + "\n")
    totals = ingest_file(wh, path, "castlerock")
    assert readers == ["native"]
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (3, 3, 0)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("ok", 3, 0)
    assert wh.scalar("SELECT COUNT(*) FROM raw_castlerock") == 0


@pytest.mark.parametrize(
    ("name", "text", "lines"),
    [
        ("blank line", NB_HEADER + NB_ROWS[0] + "\n\n" + NB_ROWS[1] + "\n", {2: "NB-1", 4: "NB-2"}),
        ("malformed mid-file", NB_HEADER + NB_ROWS[0] + "\nNB-X,EQLS-1\n" + NB_ROWS[1] + "\n", {2: "NB-1", 4: "NB-2"}),
        ("newline in quotes", NB_HEADER + NB_ROWS[0] + '\n"NB\n2"' + NB_ROWS[1][4:] + "\n", {2: "NB-1"}),
    ],
)
def test_files_whose_lines_duckdb_cannot_vouch_for_take_the_portable_reader(wh, write, readers, name, text, lines):
    path = write("northbridge_odd.csv", text)
    totals = ingest_file(wh, path, "northbridge")
    assert readers == ["pyarrow"]  # the native attempt rolled back before any commit
    assert totals["rows_read"] == totals["canonical"] + totals["rejected"]
    got = {r["line"]: r["record_id"] for r in wh.fetch_rows(
        "SELECT line, record_id FROM executions WHERE file = :f", {"f": str(path.resolve())})}
    assert {k: v for k, v in got.items() if k in lines} == lines
    assert wh.scalar("SELECT COUNT(*) FROM control_totals WHERE file = :f", {"f": str(path.resolve())}) == 1


def test_quoted_values_and_line_numbers_of_a_larger_file(wh, tmp_path, readers):
    """30,000 rows (a quoted delimiter in some): every canonical row's line is its row in the file."""
    (tmp_path / "acme.yaml").write_text(ACME_YAML)
    rows = [f"\"A;{n}\";F;AAPL;XNAS;O'B;{n % 7 + 1};10;;EQ;;;;;27-Nov-2026;OK" if n % 3 == 0 else
            f"A-{n};F;AAPL;XNAS;O'{'B' if n % 101 else 'X'};{n % 7 + 1};10;;EQ;;;;;27-Nov-2026;OK" for n in range(30_000)]
    path = tmp_path / "acme_big.txt"
    path.write_text(ACME_HEADER + "\n".join(rows) + "\n")
    totals = ingest_file(wh, path, tmp_path / "acme.yaml")
    assert readers == ["native"]
    bad = sum(1 for n in range(30_000) if n % 3 and not n % 101)
    assert (totals["rows_read"], totals["rejected"]) == (30_000, bad)
    wrong = wh.scalar(
        "SELECT COUNT(*) FROM executions WHERE file = :f AND REPLACE(REPLACE(record_id, 'A;', ''), 'A-', '') "
        "<> CAST(line - 2 AS VARCHAR)", {"f": str(path.resolve())})
    assert wrong == 0
    assert wh.scalar("SELECT COUNT(*) FROM rejects WHERE file = :f AND raw LIKE 'A-%;O''X;%'",
                     {"f": str(path.resolve())}) == bad


def test_reading_natively_leaves_no_temp_objects_or_settings_behind(wh, write):
    path = write("meridian.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n")
    conn = wh.connection()
    setting = "SELECT current_setting('preserve_insertion_order')"
    for value in (True, False):
        conn.execute(f"SET preserve_insertion_order = {value}")
        ingest_file(wh, path, "meridian")
        assert conn.execute(setting).fetchone()[0] is value
    assert conn.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name LIKE '_recon_%'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM duckdb_views() WHERE view_name LIKE '_recon_%'").fetchone()[0] == 0



def test_gross_is_exact_whichever_way_the_product_is_computed(wh, write, by_id):
    """Whole quantity x price with <= 6 decimals x whole multiplier skips the 128-bit rounding;
    every other row takes the rounding path. Both give the exact money-scale product."""
    rows = [
        "CR-1|A|O|CUSIP|037833100|B|10000000|999999.5|||||USD|20261127|20261130|",  # > 64-bit at scale 6
        "CR-2|A|O|OCC|AAPL261218C00200000|B|3|5.123456|||||USD|20261127|20261130|",  # x 100
        "CR-3|A|O|ISIN|US91282CJL54|B|1000001|98.765625|||||USD|20261127|20261130|",  # x 0.01: rounds
        "CR-4|A|O|CUSIP|037833100|B|2.5|10.1234567|||||USD|20261127|20261130|",  # 7 decimals: rounds
        "CR-5|A|O|CUSIP|999999999|S|7|1.1|||||USD|20261127|20261130|",  # unknown instrument: x 1
    ]
    path = write("castlerock_gross.psv", CR_HEADER + "\n".join(rows) + "\nTRL|5\n")
    assert ingest_file(wh, path, "castlerock")["canonical"] == 5
    ex = by_id("executions", path)
    assert {k: str(v["gross"]) for k, v in ex.items()} == {
        "CR-1": "9999995000000.000000", "CR-2": "1537.036800", "CR-3": "987657.237656",
        "CR-4": "25.308642", "CR-5": "7.700000",
    }
