"""Build canonical executions for matching tests: realistic values, exact decimals."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from recon.model import EXECUTION_SCHEMA, Execution, executions_to_arrow

D = date(2026, 11, 27)
_seq = itertools.count(1)


def ex(source: str, record_id: str, **kw) -> Execution:
    base = dict(
        account="FUND-A",
        instrument_id="US0378331005",
        asset_class="equity",
        side="buy",
        quantity=Decimal("1000"),
        price=Decimal("189.2500"),
        trade_date=D,
        settle_date=D + timedelta(days=1),
        broker="northbridge",
        commission=Decimal("10.00"),
        fees=Decimal("0.50"),
        currency="USD",
        transact_time=datetime(2026, 11, 27, 14, 30) + timedelta(seconds=next(_seq)),
        file=f"{source}.csv",
        line=next(_seq),
    )
    base.update(kw)
    for k in ("quantity", "price", "commission", "fees"):
        base[k] = Decimal(str(base[k]))
    return Execution(source=source, record_id=record_id, **base)


def internal(record_id: str, **kw) -> Execution:
    return ex("internal", record_id, **kw)


def broker(record_id: str, **kw) -> Execution:
    return ex("broker", record_id, **kw)


def create_executions_table(wh) -> None:
    """An empty canonical table, from the ingestion DDL (which gives every row its uid)."""
    from tasks.ingest import ensure_tables

    wh.execute("DROP TABLE IF EXISTS executions")
    ensure_tables(wh)


def load(wh, rows: list[Execution]) -> None:
    wh.load_arrow("executions", executions_to_arrow(rows))


assert isinstance(EXECUTION_SCHEMA, pa.Schema)
