"""Fixtures for the FIX ingestion tests: an instrument master and a one-call parser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from recon.fix import check_totals, ingest
from recon.instruments import Instrument, InstrumentMaster


@pytest.fixture(scope="session")
def master() -> InstrumentMaster:
    return InstrumentMaster(
        [
            Instrument(
                "EQ-AAPL",
                "equity",
                symbol="AAPL",
                mic="XNAS",
                isin="US0378331005",
                cusip="037833100",
                sedol="2046251",
            ),
            Instrument("EQ-IBM", "equity", symbol="IBM", mic="XNYS", isin="US4592001014", cusip="459200101"),
            Instrument(
                "EQ-VOD",
                "equity",
                symbol="VOD",
                mic="XLON",
                isin="GB00BH4HKS39",
                sedol="BH4HKS3",
                currency="GBP",
            ),
            Instrument(
                "OPT-AAPL-C200",
                "option",
                symbol="AAPL",
                occ_symbol="AAPL  261218C00200000",
                multiplier=Decimal(100),
            ),
            Instrument("FUT-ESZ6", "future", future_code="ESZ6", multiplier=Decimal(50)),
            Instrument("FX-EURUSD", "fx", fx_pair="EURUSD"),
        ]
    )


@pytest.fixture()
def parse(master):
    """parse(bytes or [bytes], file=..., master=...) -> ParseResult, totals checked to add up."""

    def _parse(data, file: str = "dropcopy.fix", broker: str = "northbridge", use_master: bool = True):
        buf = data if isinstance(data, bytes) else b"\n".join(data) + b"\n"
        result = ingest([(buf, file, 1)], broker, master if use_master else None)
        for totals in result.totals.values():
            check_totals(totals)
        return result

    return _parse
