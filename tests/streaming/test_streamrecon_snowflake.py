"""The streaming steps on the Snowflake engine (the real connector against a fakesnow server) give
the same breaks and decisions as on DuckDB for the same replayed drop copy."""

from __future__ import annotations

import pytest
from streamrecon_helpers import open_breaks

from blocks.warehouse import get_warehouse, reset_warehouses, set_default_warehouse
from tasks.stream import forget_books
from tasks.stream_consume import consume_stream, land_internal
from tasks.stream_options import StreamOptions

pytestmark = pytest.mark.slow


def replay_one_broker(day) -> tuple[dict, dict]:
    land_internal(StreamOptions(landing_dir=str(day)))
    file = str(day / "dropcopy" / "northbridge.fix")
    consume_stream(StreamOptions(replay_files=[file], batch_size=150, batch_seconds=0.2, window_seconds=0,
                                 stop_when_idle=0.5))  # no per-batch flow: the plain steps  # fmt: skip
    wh = get_warehouse()
    outcomes = {(r["record_id"], r["outcome"]) for r in wh.fetch_rows("SELECT record_id, outcome FROM stream_fills")}
    return open_breaks(wh), outcomes


def test_snowflake_engine_gives_the_duckdb_results(stream_day, tmp_path, monkeypatch, snowflake_warehouse):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "duckdb"))
    reset_warehouses()
    forget_books()
    duck_breaks, duck_outcomes = replay_one_broker(stream_day)

    monkeypatch.setenv("RECON_HOME", str(tmp_path / "snowflake"))
    reset_warehouses()
    forget_books()
    # The tasks resolve warehouse_ref=None to this process's default warehouse: make it Snowflake.
    set_default_warehouse(snowflake_warehouse("RECON_STREAMRECON"))
    try:
        snow_breaks, snow_outcomes = replay_one_broker(stream_day)
    finally:
        reset_warehouses()
    assert duck_outcomes and snow_outcomes == duck_outcomes
    assert duck_breaks and snow_breaks.keys() == duck_breaks.keys()
