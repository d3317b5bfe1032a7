"""A new broker layout needs only a YAML file; exact decimals survive; re-ingesting replaces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recon.mapping.load import SourceFileError
from tasks.ingest import ingest_file

ACME_YAML = """\
# Acme Clearing: semicolon-separated, spaces in column names, prices in hundredths, two fee
# columns, its own asset-class codes and a contract multiplier column.
name: acme
source: broker
description: Acme Clearing fills
file: {format: csv, delimiter: ";", header: true}
record_kind: fill
fields:
  record_id: Trade Id
  account: {column: Fund}
  instrument: {type: ticker, column: Ticker, mic_column: Venue}
  side:
    column: Dir
    codes: {"O'B": buy, "O'S": sell}
  quantity: {column: Lots}
  price: {column: Px x100, scale: "0.01"}
  multiplier: Mult
  asset_class: {column: Kind, codes: {EQ: equity, FUT: future}}
  commission: {column: Comm, default: "0"}
  fees: {columns: [Fee A, Fee B], default: "0"}
  currency: {column: Ccy, default: EUR}
  trade_date: {column: Date, format: "%d-%b-%Y"}
filters:
  - {column: State, not_in: ["X'Y"]}
covers: [equity, future]
"""

ACME_HEADER = "Trade Id;Fund;Ticker;Venue;Dir;Lots;Px x100;Mult;Kind;Comm;Fee A;Fee B;Ccy;Date;State\n"


@pytest.fixture()
def acme(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(ACME_YAML)
    return path


def test_new_layout_from_yaml_only(wh, write, by_id, acme):
    rows = [
        "A-1;FUND-1;AAPL;XNAS;O'B;3;10;;EQ;0.000001;0.1;0.2;;27-Nov-2026;OK",
        "A-2;FUND-1;MSFT;;O'S;0.00000001;12345.67890123;;;;;;USD;27-Nov-2026;OK",
        "A-3;FUND-2;ESZ6;XCME;O'B;2;601225;50;FUT;;;;USD;27-Nov-2026;OK",
        "A-4;FUND-2;AAPL;XNAS;O'B;1;100;;EQ;;;;;27-Nov-2026;X'Y",
        "A-5;FUND-2;AAPL;XNAS;O'B;1;12345.678901234;;EQ;;;;;27-Nov-2026;OK",
        "A-6;FUND-2;AAPL;XNAS;O'B;1;100;;BOND;;;;;27-Nov-2026;OK",
        "A-1;FUND-1;AAPL;XNAS;O'B;3;10;;EQ;;;;;27-Nov-2026;OK",
    ]
    path = write("acme_fills.txt", ACME_HEADER + "\n".join(rows) + "\n")
    totals = ingest_file(wh, path, acme, broker="acme")
    assert (totals["rows_read"], totals["canonical"], totals["rejected"]) == (7, 4, 3)

    ex = wh.fetch_rows("SELECT * FROM executions WHERE file = :f ORDER BY line", {"f": totals["file_id"]})
    a1, a2, a3, dup = ex
    # 0.1 + 0.2 is exactly 0.3; 10 hundredths is exactly 0.1; 3 x 0.1 is exactly 0.3
    assert (a1["fees"], a1["commission"], a1["price"], a1["gross"]) == (
        Decimal("0.3"), Decimal("0.000001"), Decimal("0.1"), Decimal("0.3"))
    assert str(a1["fees"]) == "0.300000" and str(a1["price"]) == "0.1000000000"
    assert (a1["currency"], a1["record_kind"], a1["asset_class"], a1["side"]) == ("EUR", "fill", "equity", "buy")
    assert a2["quantity"] == Decimal("0.00000001") and a2["price"] == Decimal("123.4567890123")
    assert a2["instrument_id"] == "EQ-MSFT" and a2["side"] == "sell"  # ticker without MIC
    assert a2["gross"] == Decimal("0.000001")  # 1e-8 x 123.4567890123 rounds to the cent's 1e-6
    # a future code quoted as a ticker is unknown to the master: the file's class and multiplier hold
    assert (a3["instrument_id"], a3["asset_class"]) == ("TICKER_MIC:ESZ6.XCME", "future")
    assert (a3["multiplier"], a3["gross"]) == (50, Decimal("601225"))
    assert dup["record_id"] == "A-1"  # duplicates are kept: matching decides about them

    rj = by_id("rejects", path)
    assert rj["A-4"]["reason"] == "filtered: State=X'Y is in excluded [X'Y]"
    assert rj["A-5"]["reason"] == "too many decimals: Px x100='12345.678901234' (at most 10)"
    assert rj["A-6"]["reason"] == "unknown asset_class: Kind='BOND' (expected EQ, FUT)"


def test_missing_column_is_a_clear_error(wh, write):
    path = write("nb_no_px.csv", "trade.ref,acct.id,symbol,exch.mic,side,short.cover,qty,trade.dt\n")
    with pytest.raises(SourceFileError) as err:
        ingest_file(wh, path, "northbridge")
    msg = str(err.value)
    assert str(path) in msg and "'px'" in msg and "'northbridge'" in msg and "northbridge.yaml" in msg


def test_duplicate_header_and_empty_file_are_errors(wh, write):
    with pytest.raises(SourceFileError, match="duplicate column"):
        ingest_file(wh, write("dup.csv", "trade.ref,trade.ref\n"), "northbridge")
    with pytest.raises(SourceFileError, match="empty file"):
        ingest_file(wh, write("empty.csv", ""), "northbridge")


def test_a_file_that_is_not_utf8_is_a_clear_error(wh, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"trade.ref,acct.\xe9id,symbol\n")  # the header itself is not UTF-8
    with pytest.raises(SourceFileError, match=r"not UTF-8 text \(byte 0xe9 at offset 15\); re-export"):
        ingest_file(wh, path, "northbridge")


def test_reingesting_a_file_replaces_its_rows(wh, write, acme):
    row = "A-{n};FUND-1;AAPL;XNAS;O'B;3;10;;EQ;;;;;27-Nov-2026;OK"
    rejected = "A-R;FUND-1;AAPL;XNAS;O'X;3;10;;EQ;;;;;27-Nov-2026;OK"  # unknown side: kept in raw_acme
    path = write("acme_again.txt", ACME_HEADER + "\n".join(row.format(n=n) for n in range(5)) + f"\n{rejected}\nbad\n")
    first = ingest_file(wh, path, acme)
    again = ingest_file(wh, path, acme)
    assert first == again
    old_id = first["file_id"]

    def counts(file_id):
        return [
            wh.scalar(f"SELECT COUNT(*) FROM {t} WHERE {c} = :f", {"f": file_id})
            for t, c in (("executions", "file"), ("rejects", "file"), ("control_totals", "file"),
                         ("raw_acme", "_file"), ("landed_files", "file_id"))
        ]

    # raw_acme keeps the file's rejected data rows (the malformed one is a reject with its text)
    assert counts(old_id) == [5, 2, 1, 1, 1]
    assert wh.scalar("SELECT f_dir FROM raw_acme WHERE _file = :f AND _line = 7", {"f": old_id}) == "O'X"
    path.write_text(ACME_HEADER + row.format(n=9) + "\n")  # a new version of the file, same place
    third = ingest_file(wh, path, acme)
    assert (third["rows_read"], third["canonical"], third["rejected"]) == (1, 1, 0)
    assert third["file_id"] != old_id and counts(old_id) == [0, 0, 0, 0, 0]
    assert counts(third["file_id"]) == [1, 0, 1, 0, 1]
    assert wh.fetch_rows("SELECT record_id FROM executions") == [{"record_id": "A-9"}]


def test_files_of_one_layout_may_differ_in_extra_columns(wh, write, acme):
    first = write("acme_1.txt", ACME_HEADER + "A-1;F;AAPL;XNAS;O'B;1;10;;EQ;;;;;27-Nov-2026;OK\n")
    second = write("acme_2.txt", "Extra;" + ACME_HEADER + "x;B-1;F;AAPL;XNAS;O'S;1;10;;EQ;;;;;27-Nov-2026;OK\n"
                   "y;B-2;F;AAPL;XNAS;O'S;1;10;;EQ;;;;;27-Nov-2026;X'Y\n")
    assert ingest_file(wh, first, acme)["canonical"] == 1
    assert ingest_file(wh, second, acme)["canonical"] == 1
    # the rejected (filtered) row is kept in raw_acme with the extra column too
    assert wh.fetch_rows("SELECT f_extra, f_trade_id FROM raw_acme") == [{"f_extra": "y", "f_trade_id": "B-2"}]
    assert wh.scalar("SELECT COUNT(*) FROM executions WHERE broker = 'acme'") == 2


def test_padded_and_quoted_values(wh, write, by_id, acme):
    rows = [
        "  A-1 ; FUND-1 ; AAPL;XNAS; O'B ;  3 ; 10 ;;EQ;;;;;27-Nov-2026;OK",
        "\"A;2\";FUND-1;AAPL;XNAS;O'B;3;10;;EQ;;;;;27-Nov-2026;OK",
        "A-3;   ;AAPL;XNAS;O'B;3;10;;EQ;;;;;27-Nov-2026;OK",
    ]
    path = write("acme_padded.txt", ACME_HEADER + "\n".join(rows) + "\n")
    assert ingest_file(wh, path, acme)["canonical"] == 2
    ex = by_id("executions", path)
    assert ex["A-1"]["account"] == "FUND-1" and ex["A-1"]["quantity"] == 3 and ex["A-1"]["side"] == "buy"
    assert "A;2" in ex
    assert by_id("rejects", path)["A-3"]["reason"] == "missing account: Fund is empty"
