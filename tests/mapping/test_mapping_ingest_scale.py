"""Ingestion paths that the hand-written layout tests do not reach: CRLF files, a truncated last
line, a trailer padded to the full width, line numbers and quoting in a larger file, exact gross
on both ways of computing it, and what the embedded engine leaves behind (no temp objects, the
session's insertion-order setting as it was)."""

from __future__ import annotations

from test_mapping_custom_layout import ACME_HEADER, ACME_YAML
from test_mapping_layouts import CR_HEADER, CR_ROWS, MR_HEADER, MR_ROWS

from tasks.ingest import ingest_file


def test_crlf_file_with_a_truncated_line_and_a_trailer_mismatch(wh, write, by_id):
    path = write("castlerock_crlf_bad.psv", (CR_HEADER + "\n".join(CR_ROWS) + "\nCR-11|EQLS-1\nTRL|12\n").replace("\n", "\r\n"))
    totals = ingest_file(wh, path, "castlerock")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (11, 7, 4)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("mismatch", 12, 1)
    rj = by_id("rejects", path)
    assert rj["line12"]["reason"] == "malformed row: expected 16 fields, got 2" and rj["line12"]["raw"] == "CR-11|EQLS-1"
    assert rj["line13"]["reason"] == "control total: trailer says 12 records, the file has 11"
    assert rj["line13"]["raw"] == "TRL|12"


def test_a_trailer_padded_to_full_width_is_a_trailer_not_a_row(wh, write, by_id):
    path = write("castlerock_padded.psv", CR_HEADER + "\n".join(CR_ROWS[:3]) + "\nTRL|3" + "|" * 14 + "\n")
    totals = ingest_file(wh, path, "castlerock")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (3, 3, 0)
    assert (totals["trailer_status"], totals["trailer_count"], totals["file_errors"]) == ("ok", 3, 0)
    assert wh.scalar("SELECT COUNT(*) FROM raw_castlerock") == 0


def test_quoted_values_and_line_numbers_of_a_larger_file(wh, tmp_path):
    """30,000 rows (a quoted delimiter in some): every canonical row's line is its row in the file."""
    (tmp_path / "acme.yaml").write_text(ACME_YAML)
    rows = [f"\"A;{n}\";F;AAPL;XNAS;O'B;{n % 7 + 1};10;;EQ;;;;;27-Nov-2026;OK" if n % 3 == 0 else
            f"A-{n};F;AAPL;XNAS;O'{'B' if n % 101 else 'X'};{n % 7 + 1};10;;EQ;;;;;27-Nov-2026;OK" for n in range(30_000)]
    path = tmp_path / "acme_big.txt"
    path.write_text(ACME_HEADER + "\n".join(rows) + "\n")
    totals = ingest_file(wh, path, tmp_path / "acme.yaml")
    bad = sum(1 for n in range(30_000) if n % 3 and not n % 101)
    assert (totals["rows_read"], totals["rejected"]) == (30_000, bad)
    wrong = wh.scalar(
        "SELECT COUNT(*) FROM executions WHERE file = :f AND REPLACE(REPLACE(record_id, 'A;', ''), 'A-', '') "
        "<> CAST(line - 2 AS VARCHAR)", {"f": totals["file_id"]})
    assert wrong == 0
    assert wh.scalar("SELECT COUNT(*) FROM rejects WHERE file = :f AND raw LIKE 'A-%;O''X;%'",
                     {"f": totals["file_id"]}) == bad


def test_ingesting_leaves_no_temp_objects_or_settings_behind(wh, write):
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


def test_bad_rows_before_good_ones_keep_every_line_right(wh, write, by_id):
    """The multi-threaded read cannot place bad rows; the same bad text mid-file and at the end
    must not pass for 'only at the end' (the file is read again single-threaded)."""
    rows = [*CR_ROWS[:3], "JUNK", *CR_ROWS[3:5], "JUNK", "TRL|7"]
    path = write("castlerock_junk.psv", CR_HEADER + "\n".join(rows) + "\n")
    totals = ingest_file(wh, path, "castlerock")
    assert (totals["rows_read"], totals["canonical"], totals["trailer_status"]) == (7, 5, "ok")
    ex, rj = by_id("executions", path), by_id("rejects", path)
    assert {k: v["line"] for k, v in ex.items()} == {"CR-1": 2, "CR-2": 3, "CR-3": 4, "CR-4": 6, "CR-5": 7}
    assert rj["line5"]["raw"] == rj["line8"]["raw"] == "JUNK"
    assert rj["line5"]["reason"] == "malformed row: expected 16 fields, got 1"


def test_every_execution_has_its_own_uid_whoever_wrote_it(wh, write):
    """File rows number themselves from a reserved block of the uid sequence; rows written another
    way (a drop copy, a stream batch: load_arrow) take the sequence's next values. None collide,
    re-ingesting a file gives its rows new ones, and a row's uid never depends on what was read."""
    from datetime import date
    from decimal import Decimal

    from recon.model import Execution, executions_to_arrow

    cr = write("castlerock_uids.psv", CR_HEADER + "\n".join(CR_ROWS) + "\nTRL|10\n")
    mr = write("meridian_uids.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n")
    first_cr = ingest_file(wh, cr, "castlerock")
    fill = Execution(source="dropcopy", record_id="X-1", account="ACC", instrument_id="EQ-AAPL", asset_class="equity", side="buy",
                     quantity=Decimal("1"), price=Decimal("1"), trade_date=date(2026, 11, 27))
    wh.load_arrow("executions", executions_to_arrow([fill]))
    ingest_file(wh, mr, "meridian")
    first = {r["record_id"]: r["uid"] for r in wh.fetch_rows("SELECT record_id, uid FROM executions")}
    ingest_file(wh, cr, "castlerock")  # again: the file's rows are replaced
    rows = wh.fetch_rows("SELECT record_id, uid, file FROM executions")
    uids = [r["uid"] for r in rows]
    assert None not in uids and len(set(uids)) == len(uids) == len(first)
    again = [r for r in rows if r["file"] == first_cr["file_id"]]
    assert again and all(r["uid"] not in first.values() for r in again)


def test_a_warehouse_from_before_uids_gets_them_on_the_next_ingest(wh, write):
    from blocks.warehouse import Warehouse
    from tasks.ingest import ensure_tables

    path = write("meridian_old.csv", MR_HEADER + "\n".join(MR_ROWS) + "\n")
    ingest_file(wh, path, "meridian")
    wh.execute("CREATE TABLE old_executions AS SELECT * EXCLUDE (uid) FROM executions")
    wh.execute("DROP TABLE executions")
    wh.execute("ALTER TABLE old_executions RENAME TO executions")
    wh.close()
    wh = Warehouse(duckdb_path=wh.duckdb_path)  # a later process opens the old file
    ensure_tables(wh)
    n, distinct = wh.fetch_rows("SELECT COUNT(uid) AS n, COUNT(DISTINCT uid) AS d FROM executions")[0].values()
    assert n == distinct == len(MR_ROWS) - wh.scalar("SELECT COUNT(*) FROM rejects")
    ingest_file(wh, path, "meridian")  # and the next file's rows number themselves after them
    assert wh.scalar("SELECT COUNT(DISTINCT uid) FROM executions") == n
