"""Fixtures for the mapping/ingestion tests: a fresh embedded warehouse with a small but realistic
instrument master (equities, ETF, option, future, FX, bond), and a helper that writes files."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocks.warehouse import Warehouse
from recon.files import identify
from tasks.ingest import load_instruments

INSTRUMENTS_CSV = """\
instrument_id,asset_class,symbol,mic,isin,cusip,sedol,occ_symbol,future_code,fx_pair,multiplier,currency,description
EQ-AAPL,equity,AAPL,XNAS,US0378331005,037833100,2046251,,,,1,USD,Apple Inc common stock
EQ-MSFT,equity,MSFT,XNAS,US5949181045,594918104,2588173,,,,1,USD,Microsoft Corp common stock
EQ-BRKB,equity,BRK.B,XNYS,US0846707026,084670702,2073390,,,,1,USD,Berkshire Hathaway B
EQ-VOD,equity,VOD,XLON,GB00BH4HKS39,,BH4HKS3,,,,1,GBP,Vodafone Group
ETF-SPY,etf,SPY,ARCX,US78462F1030,78462F103,2840215,,,,1,USD,SPDR S&P 500 ETF
OPT-AAPL-261218C200,option,,,,,,AAPL  261218C00200000,,,100,USD,AAPL Dec26 200 call
FUT-ESZ6,future,,,,,,,ESZ6,,50,USD,E-mini S&P 500 Dec26
FX-EURUSD,fx,,,,,,,,EURUSD,1,USD,EUR/USD spot
BD-US91282CJL54,bond,,,US91282CJL54,91282CJL5,BMXYZ12,,,,0.01,USD,UST 4.5% 2033
"""


@pytest.fixture()
def wh(tmp_path: Path):
    warehouse = Warehouse(duckdb_path=str(tmp_path / "wh.duckdb"))
    master = tmp_path / "instruments.csv"
    master.write_text(INSTRUMENTS_CSV)
    load_instruments(warehouse, master)
    return warehouse


@pytest.fixture()
def master_csv(tmp_path: Path) -> Path:
    path = tmp_path / "instruments.csv"
    path.write_text(INSTRUMENTS_CSV)
    return path


@pytest.fixture()
def write(tmp_path: Path):
    """write('name.csv', text) -> Path; dedents nothing, so the text is the file byte for byte."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


@pytest.fixture()
def by_id(wh: Warehouse):
    """by_id(table, file) -> {record_id (or 'line<N>'): row} for one file's rows (keyed by its content)."""

    def _fetch(table: str, file: Path) -> dict:
        rows = wh.fetch_rows(
            f"SELECT * FROM {table} WHERE file = :file ORDER BY line", {"file": identify(file).file_id}
        )
        return {r["record_id"] if r["record_id"] is not None else f"line{r['line']}": r for r in rows}

    return _fetch


@pytest.fixture()
def snowflake_wh(snowflake_warehouse, tmp_path: Path):
    """A Warehouse with engine=snowflake (prefect-snowflake connector -> fakesnow), master loaded."""
    warehouse = snowflake_warehouse(f"RECON_MAP_{tmp_path.name}")
    master = tmp_path / "instruments_sf.csv"
    master.write_text(INSTRUMENTS_CSV)
    load_instruments(warehouse, master)
    return warehouse
