"""Streaming reconciliation on a real kinesalite stream: same breaks as the daily drop-copy recon,
replays change nothing, malformed records become rejects, a late internal booking closes a break."""

from __future__ import annotations

import pytest
from streamrecon_helpers import (
    SENDERS,
    D,
    daily_dropcopy_breaks,
    day_messages,
    open_breaks,
    with_broker_side,
)

from blocks.kinesis import KinesisStream
from blocks.warehouse import get_warehouse, reset_warehouses
from tasks.stream import forget_books
from tasks.stream_consume import consume, land_internal, reconcile_batch
from tasks.stream_options import StreamOptions

pytestmark = pytest.mark.slow


def run_consumer(kinesalite, name: str, window: float, batch_size: int = 200) -> dict:
    consumer = KinesisStream.local(kinesalite.endpoint, name).consumer(get_warehouse())
    options = StreamOptions(senders=SENDERS, batch_size=batch_size, batch_seconds=0.3, window_seconds=window,
                            stop_when_idle=1.0)  # fmt: skip
    return consume([(consumer, None)], name, reconcile_batch, options)


def counts(wh) -> dict:
    return {
        table: wh.scalar(f"SELECT COUNT(*) FROM {table}")
        for table in ("executions", "rejects", "breaks", "break_events", "stream_messages", "stream_fills", "incident_outbox")
    }


def switch_home(monkeypatch, path) -> None:
    monkeypatch.setenv("RECON_HOME", str(path))
    reset_warehouses()
    forget_books()


def test_stream_finds_the_daily_dropcopy_breaks_and_a_replay_adds_nothing(
    kinesalite, stream_day, tmp_path, monkeypatch, home
):
    switch_home(monkeypatch, tmp_path / "daily")
    expected = with_broker_side(daily_dropcopy_breaks(stream_day))
    assert expected, "the generated day should have drop-copy breaks"

    switch_home(monkeypatch, tmp_path / "stream")
    land_internal(StreamOptions(landing_dir=str(stream_day)))
    name = kinesalite.create_stream(3)
    messages = day_messages(stream_day)
    producer = KinesisStream.local(kinesalite.endpoint, name).producer()
    producer.put(messages)
    summary = run_consumer(kinesalite, name, window=0)
    assert summary["records"] == len(messages) and summary["batches"] >= 3

    wh = get_warehouse()
    got = open_breaks(wh)
    assert got.keys() == expected.keys()
    for break_id, brk in got.items():
        want = expected[break_id]
        assert (brk["break_type"], brk["broker_ids"], brk["internal_ids"]) == (
            want["break_type"], want["broker_ids"], want["internal_ids"])  # fmt: skip
        assert (brk["broker_quantity"], brk["broker_price"]) == (want["broker_quantity"], want["broker_price"])
    assert wh.scalar("SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NULL") == 0
    assert wh.scalar("SELECT COUNT(*) FROM stream_batches WHERE records > 0") == summary["batches"]
    dup = "SELECT COUNT(*) FROM (SELECT broker, record_id FROM executions WHERE source = 'dropcopy' GROUP BY 1, 2 HAVING COUNT(*) > 1)"
    assert wh.scalar(dup) == 0

    # The same records again (a replay of the log onto the stream): new sequence numbers, same bytes.
    before = counts(wh)
    producer.put(messages)
    again = run_consumer(kinesalite, name, window=0)
    assert again["records"] == len(messages)
    assert counts(wh) == before
    redelivered = wh.scalar("SELECT SUM(redelivered) FROM stream_batches WHERE records > 0")
    assert redelivered == len(messages)


def test_malformed_records_become_rejects_and_the_consumer_goes_on(kinesalite, stream_day, home):
    land_internal(StreamOptions(landing_dir=str(stream_day)))
    name = kinesalite.create_stream(2)
    good = day_messages(stream_day)[:60]
    fill = next(m for _, m in good if b"\x01150=F\x01" in m)
    no_side = fill.replace(b"\x0154=", b"\x01954=")  # the checksum no longer agrees either
    unknown = fill.replace(b"\x0149=NBPRIME\x01", b"\x0149=NOBODY\x01").replace(b"\x0149=CASTLEROCK\x01", b"\x0149=NOBODY\x01").replace(b"\x0149=MERIDIANPB\x01", b"\x0149=NOBODY\x01")  # fmt: skip
    bad = [("X", b"this is not FIX at all"), ("Y", no_side), ("Z", unknown), ("W", b"8=FIX.4.4\x019=5\x0135=8\x01")]
    KinesisStream.local(kinesalite.endpoint, name).producer().put(good[:30] + bad + good[30:])
    summary = run_consumer(kinesalite, name, window=0, batch_size=20)
    assert summary["records"] == len(good) + len(bad)

    wh = get_warehouse()
    rejects = wh.fetch_rows("SELECT file, reason, raw FROM rejects WHERE file LIKE 'stream:%' ORDER BY file")
    assert len(rejects) == len(bad)
    assert all(r["reason"] and r["file"].startswith(f"stream:{name}:shardId-") for r in rejects)
    assert any("unknown broker" in r["reason"] and "NOBODY" in r["reason"] for r in rejects)
    assert any("this is not FIX at all" in (r["raw"] or "") for r in rejects)
    # every good fill was still reconciled
    decided = wh.scalar("SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NOT NULL")
    assert decided == wh.scalar("SELECT COUNT(*) FROM stream_fills") > 0
    assert wh.scalar("SELECT SUM(rejects) FROM stream_batches") == len(bad)


def test_a_late_internal_booking_closes_the_break_its_window_opened(
    kinesalite, stream_day, tmp_path, monkeypatch, home
):
    switch_home(monkeypatch, tmp_path / "daily")
    daily_dropcopy_breaks(stream_day)
    pair = get_warehouse().fetch_rows(
        "SELECT internal_ids, broker_ids, broker FROM w_matches WHERE match_type = 'exact' AND nl = 1 AND nr = 1 "
        "ORDER BY match_id LIMIT 1"
    )[0]
    oms = next((stream_day / "internal").glob("*.csv"))
    lines = oms.read_text().splitlines(keepends=True)
    late = [line for line in lines if f",{pair['internal_ids']}," in line]
    assert len(late) == 1
    booked = tmp_path / "oms_export.csv"
    booked.write_text("".join(line for line in lines if line not in late))  # the booking has not landed yet

    switch_home(monkeypatch, tmp_path / "stream")
    master = str(stream_day / "reference" / "instruments.csv")
    land_internal(StreamOptions(internal=[str(booked)], instruments=master))
    name = kinesalite.create_stream(2)
    KinesisStream.local(kinesalite.endpoint, name).producer().put(day_messages(stream_day))
    run_consumer(kinesalite, name, window=1.5)

    wh = get_warehouse()
    brk = wh.fetch_rows("SELECT * FROM breaks WHERE broker_ids = :e", {"e": pair["broker_ids"]})
    assert [(b["break_type"], b["status"]) for b in brk] == [("MISSING_INTERNALLY", "open")]
    fill = wh.fetch_rows("SELECT * FROM stream_fills WHERE record_id = :e", {"e": pair["broker_ids"]})[0]
    assert fill["outcome"] == "break"
    assert (fill["decided_at"] - fill["first_seen"]).total_seconds() >= 1.5  # not before its window

    booked.write_text("".join(lines))  # the OMS export now carries the late booking
    land_internal(StreamOptions(internal=[str(booked)], instruments=master))
    tick = reconcile_batch([], name, None, SENDERS, 1.5)  # no new records: the internal side changed
    assert tick["closed"] == 1
    closed = wh.fetch_rows("SELECT status FROM breaks WHERE break_id = :b", {"b": brk[0]["break_id"]})
    assert closed == [{"status": "closed"}]
    ops = [r["op"] for r in wh.fetch_rows(
        "SELECT op FROM incident_outbox WHERE break_id = :b ORDER BY seq", {"b": brk[0]["break_id"]})]  # fmt: skip
    assert ops == ["upsert", "resolve"]
    assert D == fill["trade_date"]


def test_quiet_ticks_go_to_the_idle_handler_not_the_per_batch_flow(kinesalite, stream_day, monkeypatch, home):
    """Batches with records, and ticks while fills wait for their window, go to the handler (a flow
    run each under Prefect); ticks of a quiet stream go to the plain steps, so a quiet stream does
    not add a flow run to the UI every few seconds."""
    import tasks.stream_consume as sc

    monkeypatch.setattr(sc, "IDLE_TICK_SECONDS", 0.05)
    master = str(stream_day / "reference" / "instruments.csv")
    land_internal(StreamOptions(instruments=master))  # no bookings: every fill waits
    name = kinesalite.create_stream(1)
    KinesisStream.local(kinesalite.endpoint, name).producer().put(day_messages(stream_day)[:80])
    calls = {"handler": [], "idle": []}

    def spy(kind):
        def run(batch, *args):
            result = reconcile_batch(batch, *args)
            calls[kind].append((len(batch), result["pending"], result["breaks"]))
            return result
        return run

    consumer = KinesisStream.local(kinesalite.endpoint, name).consumer(get_warehouse())
    options = StreamOptions(senders=SENDERS, batch_size=40, batch_seconds=0.1, window_seconds=1.5, stop_when_idle=1.0)
    summary = consume([(consumer, None)], name, spy("handler"), options, idle_handler=spy("idle"))
    handled = calls["handler"]
    assert len([c for c in handled if c[0]]) == summary["batches"] >= 2
    waiting_ticks = [c for c in handled if not c[0]]
    assert waiting_ticks and sum(c[2] for c in waiting_ticks) > 0  # the windows passed in these ticks
    assert calls["idle"] and all(n == 0 and pending == 0 for n, pending, _ in calls["idle"])
    assert get_warehouse().scalar("SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NULL") == 0
