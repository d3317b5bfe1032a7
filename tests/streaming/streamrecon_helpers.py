"""Helpers shared by the streaming reconciliation tests (plain functions, no fixtures)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from blocks.warehouse import Warehouse
from recon.generator.fix_dropcopy import SENDER

D = date(2026, 11, 24)
SENDERS = {sender: broker for broker, sender in SENDER.items()}


def account_of(message: bytes) -> str:
    at = message.find(b"\x011=")
    return message[at + 3 : message.find(b"\x01", at + 3)].decode() if at >= 0 else "none"


def day_messages(day: Path) -> list[tuple[str, bytes]]:
    """Every broker's drop copy, brokers interleaved, each in its own order; key = account."""
    per_broker = []
    for path in sorted((day / "dropcopy").glob("*.fix")):
        per_broker.append([(account_of(m), m) for m in path.read_bytes().split(b"\n") if m])
    merged = []
    for i in range(max(len(b) for b in per_broker)):
        merged += [b[i] for b in per_broker if i < len(b)]
    return merged


def daily_dropcopy_breaks(day: Path) -> dict[str, dict]:
    """The daily flow's drop-copy reconciliation of the same day (its landing, match and publish
    steps as plain calls) in the current RECON_HOME's warehouse: break_id -> open break."""
    from blocks.warehouse import get_warehouse
    from recon.inputs import discover
    from tasks.break_store import publish_breaks
    from tasks.land import land_dropcopy, land_file, land_instruments
    from tasks.match import match_day

    inputs = discover(day)
    land_instruments(inputs.model_dump())
    for f in inputs.internal:
        land_file(f.model_dump(), D, {"run_id": "daily"})
    for batch in inputs.dropcopy_batches():
        land_dropcopy(batch, inputs.model_dump(), D, {"run_id": "daily"})
    wh = get_warehouse()
    match_day(wh, D, "dropcopy")
    publish_breaks(wh, D, "dropcopy", "daily")
    return open_breaks(wh)


def open_breaks(wh: Warehouse) -> dict[str, dict]:
    return {r["break_id"]: r for r in wh.fetch_rows("SELECT * FROM breaks WHERE status <> 'closed'")}


def with_broker_side(breaks: dict[str, dict]) -> dict[str, dict]:
    """What the stream decides: breaks with a drop-copy record (MISSING_AT_BROKER stays with EOD)."""
    return {k: v for k, v in breaks.items() if v["broker_ids"]}
