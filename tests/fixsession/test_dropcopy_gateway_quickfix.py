"""The drop-copy gateway against a real QuickFIX acceptor, publishing to a real kinesalite stream."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

import pytest

from blocks.kinesis import KinesisStream
from blocks.warehouse import Warehouse
from recon.fixsession import DropCopyGateway, SequenceStore, SessionConfig
from tests.support.quickfix_acceptor import SENDER, TARGET
from tests.support.servers import wait_until as wait_for


def field(data: bytes, tag: int) -> str | None:
    marker = b"\x01%d=" % tag
    at = data.find(marker)
    if at < 0:
        return None
    return data[at + len(marker) : data.index(b"\x01", at + len(marker))].decode()


def dedupe(records):
    """Downstream's rule: a PossDup(43=Y) record whose MsgSeqNum was already seen is a resend copy."""
    seen: set[int] = set()
    kept, dropped = [], []
    for r in records:
        seq = int(field(r.data, 34))
        if seq in seen:
            assert field(r.data, 43) == "Y", f"duplicate seq {seq} not marked PossDup"
            dropped.append(r)
        else:
            seen.add(seq)
            kept.append(r)
    return kept, dropped


def read_stream(block, expected: int, timeout: float = 20.0):
    consumer = block.consumer(Warehouse(duckdb_path=":memory:"))
    got: list = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = consumer.poll(max_records=500, max_wait_s=0.3)
        got += batch
        if len(got) >= expected and not batch:
            break
    return sorted(got, key=lambda r: (r.shard_id, int(r.sequence_number)))


def sent_app(acceptor) -> dict[int, str]:
    """MsgSeqNum -> ExecID of every application message the acceptor sent (first sends and resends)."""
    out = {}
    for raw in acceptor.app_out():
        data = raw.encode()
        out[int(field(data, 34))] = field(data, 17)
    return out


def gateway_for(acceptor, tmp_path, sink, heartbeat_s: int = 1) -> DropCopyGateway:
    cfg = SessionConfig(
        "127.0.0.1", acceptor.port, TARGET, SENDER, heartbeat_s=heartbeat_s, reconnect_initial_s=0.2, reconnect_max_s=1
    )
    return DropCopyGateway(cfg, sink, store=SequenceStore(tmp_path / "gateway-seq.sqlite"))


@pytest.mark.slow
def test_drop_copy_session_reaches_the_stream_exactly_once_in_effect(acceptor, kinesalite, tmp_path):
    block = KinesisStream.local(kinesalite.endpoint, kinesalite.create_stream(2))
    gateway = gateway_for(acceptor, tmp_path, block.producer()).start()
    try:
        acceptor.wait_logged_on()
        wait_for(gateway.logged_on.is_set, what="gateway logon")
        first = acceptor.execution_report("ACC1", "AAPL", Decimal("100"), Decimal("190.25"))
        for i in range(8):
            acceptor.execution_report(f"ACC{i % 3}", "MSFT", Decimal(10 + i), Decimal("410.125"))
        acceptor.execution_report("ACC1", "AAPL", Decimal("100"), Decimal("190.24"), exec_type="G", ref_exec_id=first)
        acceptor.execution_report("ACC2", "MSFT", Decimal("10"), Decimal("410.125"), exec_type="H", ref_exec_id="EX000002")
        acceptor.trade_capture_report("ACC0", "IBM", Decimal("250"), Decimal("151.5"), "TCR-1")
        acceptor.test_request("PING-1")
        wait_for(lambda: any("\x01112=PING-1\x01" in m and "\x0135=0\x01" in m for m in acceptor.admin_in()), what="Heartbeat answering TestRequest")
        # HeartBtInt=1: heartbeats flow both ways (the one answering the TestRequest and at least one more)
        wait_for(lambda: sum("\x0135=0\x01" in m for m in acceptor.admin_in()) >= 2, what="two heartbeats in")

        # The broker drops the line and refuses logons while it keeps "sending": QuickFIX queues.
        acceptor.set_refuse_logon(True)
        acceptor.force_disconnect()
        logons = sum("\x0135=A\x01" in m for m in acceptor.admin_in())
        meanwhile = [acceptor.execution_report("ACC1", "AAPL", Decimal(i + 1), Decimal("190.5")) for i in range(6)]
        wait_for(lambda: sum("\x0135=A\x01" in m for m in acceptor.admin_in()) > logons, what="a refused logon")
        acceptor.set_refuse_logon(False)
        acceptor.wait_logged_on()
        after = acceptor.execution_report("ACC2", "AAPL", Decimal("7"), Decimal("190.75"))
        sent = sent_app(acceptor)
        wait_for(lambda: gateway.published >= len(sent), what="all messages published")
    finally:
        gateway.stop()

    assert gateway.session.counters.resend_requests_sent >= 1
    assert gateway.session.counters.gap_fills_received >= 1  # admin messages were gap-filled
    assert any("\x0135=2\x01" in m for m in acceptor.admin_in())  # our ResendRequest reached QuickFIX

    records = read_stream(block, len(sent))
    kept, dropped = dedupe(records)
    assert {int(field(r.data, 34)) for r in kept} == set(sent)  # every message, exactly once in effect
    assert sorted(field(r.data, 17) for r in kept) == sorted(sent.values())
    assert not dropped  # no crash here, so no copies on the stream at all
    wire = {m.encode() for m in acceptor.app_out()}
    assert all(r.data in wire for r in records)  # published raw and unmodified
    by_exec = {field(r.data, 17): r.data for r in kept}
    assert all(field(by_exec[e], 43) == "Y" for e in meanwhile)  # came as PossDup resends
    assert field(by_exec[after], 43) is None
    assert field(by_exec["EX000010"], 150) == "G" and field(by_exec["EX000010"], 19) == first
    assert field(by_exec["EX000011"], 150) == "H"
    assert field(by_exec["TCR-1"], 35) == "AE"
    for key in {r.partition_key for r in kept}:  # in order per session, per partition key
        seqs = [int(field(r.data, 34)) for r in kept if r.partition_key == key]
        assert seqs == sorted(seqs)
    assert {r.partition_key for r in kept} == {"ACC0", "ACC1", "ACC2"}


class AmbiguousSink:
    """Kinesis accepted the records but the answer was lost (a timeout after the write): the
    gateway must treat the batch as not published, so those messages stay unacknowledged."""

    def __init__(self, inner, fail_on_call: int):
        self.inner, self.fail_on_call, self.calls = inner, fail_on_call, 0

    def put(self, records):
        self.calls += 1
        self.inner.put(records)
        if self.calls == self.fail_on_call:
            raise TimeoutError("Read timeout on endpoint URL (the put went through)")


@pytest.mark.slow
def test_unacknowledged_messages_come_back_as_possdup_and_dedupe_removes_them(acceptor, kinesalite, tmp_path):
    block = KinesisStream.local(kinesalite.endpoint, kinesalite.create_stream(1))
    sink = AmbiguousSink(block.producer(), fail_on_call=3)
    gateway = gateway_for(acceptor, tmp_path, sink).start()
    try:
        acceptor.wait_logged_on()
        wait_for(gateway.logged_on.is_set, what="gateway logon")
        for i in range(12):
            acceptor.execution_report(f"ACC{i % 2}", "AAPL", Decimal(i + 1), Decimal("190.25"))
            time.sleep(0.05)  # separate socket reads, so separate puts
        sent = sent_app(acceptor)
        wait_for(lambda: gateway.sink_failures == 1 and gateway.logged_on.is_set(), what="reconnect after failure")
        wait_for(lambda: gateway.store.next_in > max(sent), what="everything acknowledged")
    finally:
        gateway.stop()

    records = read_stream(block, len(sent))
    kept, dropped = dedupe(records)
    assert dropped, "the ambiguous batch was resent, so copies must be on the stream"
    assert all(field(r.data, 43) == "Y" for r in dropped)
    assert sorted(field(r.data, 17) for r in kept) == sorted(sent.values())
    assert gateway.session.counters.resend_requests_sent >= 1


def test_logon_refused_reconnects_with_backoff(acceptor, tmp_path):
    acceptor.set_refuse_logon(True)
    gateway = gateway_for(acceptor, tmp_path, sink=None).start()

    def logon_times() -> list[datetime]:
        logons = [m for m in acceptor.admin_in() if "\x0135=A\x01" in m]
        return [datetime.strptime(field(m.encode(), 52), "%Y%m%d-%H:%M:%S.%f") for m in logons]

    try:
        wait_for(lambda: len(logon_times()) >= 4, timeout=10, what="four refused logons")
        assert not gateway.logged_on.is_set()
        acceptor.set_refuse_logon(False)
        wait_for(gateway.logged_on.is_set, what="logon once allowed")
    finally:
        gateway.stop()
    times = logon_times()
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    # waits drawn from [0.1, 0.2], [0.2, 0.4], [0.4, 0.8], then capped at [0.5, 1.0]
    assert gaps[0] >= 0.1 and gaps[2] >= 0.4 and gaps[2] > gaps[0]


class ListSink:
    def __init__(self):
        self.records: list[tuple[str, bytes]] = []

    def put(self, records):
        self.records.extend(records)


def test_reset_on_logon_restarts_both_sequences_with_quickfix(acceptor, tmp_path):
    sink = ListSink()
    gateway = gateway_for(acceptor, tmp_path, sink).start()
    try:
        wait_for(gateway.logged_on.is_set, what="first logon")
        for i in range(3):
            acceptor.execution_report("ACC1", "AAPL", Decimal(i + 1), Decimal("190.25"))
        wait_for(lambda: len(sink.records) == 3, what="three fills")
    finally:
        gateway.stop()
    assert gateway.store.next_in > 4 and gateway.store.next_out > 2

    cfg = SessionConfig(
        "127.0.0.1", acceptor.port, TARGET, SENDER, heartbeat_s=1, reset_on_logon=True, reconnect_initial_s=0.2
    )
    again = DropCopyGateway(cfg, sink, store=gateway.store).start()
    try:
        wait_for(again.logged_on.is_set, what="logon with ResetSeqNumFlag")
        exec_id = acceptor.execution_report("ACC1", "AAPL", Decimal("9"), Decimal("190.5"))
        wait_for(lambda: len(sink.records) == 4, what="the fill after the reset")
    finally:
        again.stop()
    logon = [m for m in acceptor.admin_in() if "\x0135=A\x01" in m][-1].encode()
    assert field(logon, 141) == "Y" and field(logon, 34) == "1"
    last = sink.records[-1][1]
    # The broker restarted at 1 with its Logon; the fill is numbered after whatever it sent since
    # (nothing, or a heartbeat when the machine is slow).
    sent = acceptor.sent()
    reset_logon = max(i for i, m in enumerate(sent) if "\x0135=A\x01" in m)
    fill = next(i for i, m in enumerate(sent) if f"\x0117={exec_id}\x01" in m)
    assert field(sent[reset_logon].encode(), 34) == "1"
    assert field(last, 17) == exec_id and field(last, 34) == str(1 + fill - reset_logon)
    assert again.session.counters.resend_requests_sent == 0
