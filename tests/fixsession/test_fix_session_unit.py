"""The session state machine and the framer, fed real FIX bytes (no socket)."""

from __future__ import annotations

import simplefix

from recon.fix.framing import StreamFramer as Framer
from recon.fixsession import FixSession, SequenceStore, SessionConfig
from recon.fixsession.messages import parse
from recon.fixsession.session import State

US, THEM = "FUNDRECON", "PRIMEBRK"


def msg(msg_type: str, seq: int, *fields: tuple[int, str], poss_dup: bool = False) -> bytes:
    m = simplefix.FixMessage()
    m.append_pair(8, "FIX.4.4", header=True)
    m.append_pair(35, msg_type, header=True)
    m.append_pair(49, THEM, header=True)
    m.append_pair(56, US, header=True)
    m.append_pair(34, seq, header=True)
    if poss_dup:
        m.append_pair(43, "Y", header=True)
    m.append_utc_timestamp(52, header=True)
    for tag, value in fields:
        m.append_pair(tag, value)
    return m.encode()


def fill(seq: int, exec_id: str, poss_dup: bool = False) -> bytes:
    return msg("8", seq, (1, "ACC1"), (17, exec_id), (150, "F"), (55, "AAPL"), (32, "100"), (31, "190.25"), poss_dup=poss_dup)


def session(tmp_path, **kw) -> FixSession:
    cfg = SessionConfig("127.0.0.1", 9999, US, THEM, heartbeat_s=kw.pop("heartbeat_s", 30), **kw)
    return FixSession(cfg, SequenceStore(tmp_path / "seq.sqlite"))


def logged_on(tmp_path, **kw) -> FixSession:
    s = session(tmp_path, **kw)
    s.on_connected(0.0)
    s.on_message(msg("A", 1, (98, "0"), (108, "30")), 0.0)
    assert s.state == State.ACTIVE
    return s


def sent_types(actions) -> list[str]:
    return [parse(raw).msg_type for raw in actions.send]


# ---- framing ------------------------------------------------------------------------------
def test_framer_splits_a_stream_cut_anywhere():
    expected = [fill(2, "E1"), fill(3, "E2"), fill(4, "E3")]
    data = b"".join(expected)
    for cut in range(1, len(data)):
        framer = Framer()
        a, errs_a = framer.feed(data[:cut])
        b, errs_b = framer.feed(data[cut:])
        assert a + b == expected and not errs_a + errs_b


def test_framer_rejects_bad_checksum_and_skips_junk():
    good = fill(2, "E1")
    bad = bytearray(fill(3, "E2"))
    bad[-4:-1] = b"000" if bad[-4:-1] != b"000" else b"001"
    messages, errors = Framer().feed(b"garbage\r\n" + bytes(bad) + good)
    assert messages == [good]
    assert [e.reason.split()[0] for e in errors] == ["junk", "CheckSum"]


def test_framer_detects_wrong_body_length():
    good = fill(2, "E1")
    body_len = int(good.split(b"\x019=")[1].split(b"\x01")[0])
    wrong = good.replace(b"\x019=%d" % body_len, b"\x019=%d" % (body_len + 3), 1)
    messages, errors = Framer().feed(wrong + good)
    assert messages == [good] and errors[0].reason.startswith("BodyLength mismatch")
    # a BodyLength far too large waits for bytes, then resynchronises on the next message
    huge = good.replace(b"\x019=%d" % body_len, b"\x019=%d" % (body_len * 4), 1)
    messages, errors = Framer().feed(huge + good * 6)
    assert messages == [good] * 6 and errors


# ---- sequencing ---------------------------------------------------------------------------
def test_in_order_fills_are_delivered_and_seq_advances(tmp_path):
    s = logged_on(tmp_path)
    out = [s.on_message(fill(i, f"E{i}"), 1.0) for i in (2, 3)]
    assert [a.deliver[0].seq for a in out] == [2, 3] and s.next_in == 4


def test_gap_sends_one_resend_request_and_queued_messages_drain(tmp_path):
    s = logged_on(tmp_path)
    a = s.on_message(fill(5, "E5"), 1.0)
    assert sent_types(a) == ["2"] and not a.deliver
    request = parse(a.send[0])
    assert (request.get(7), request.get(16)) == ("2", "0")
    assert sent_types(s.on_message(fill(6, "E6"), 1.0)) == []  # no second ResendRequest
    s.on_message(fill(2, "E2", poss_dup=True), 1.1)
    gap = s.on_message(msg("4", 3, (123, "Y"), (36, "5"), poss_dup=True), 1.2)
    assert [m.seq for m in gap.deliver] == [5, 6] and s.next_in == 7


def test_possdup_already_seen_is_dropped_new_one_processed(tmp_path):
    s = logged_on(tmp_path)
    s.on_message(fill(2, "E2"), 1.0)
    dup = s.on_message(fill(2, "E2", poss_dup=True), 1.0)
    new = s.on_message(fill(3, "E3", poss_dup=True), 1.0)
    assert not dup.deliver and s.counters.duplicates_dropped == 1
    assert [m.seq for m in new.deliver] == [3] and new.deliver[0].poss_dup


def test_seq_too_low_without_possdup_logs_out(tmp_path):
    s = logged_on(tmp_path)
    s.on_message(fill(2, "E2"), 1.0)
    a = s.on_message(fill(2, "E2"), 1.0)
    assert a.disconnect and "too low" in a.disconnect and sent_types(a) == ["5"]


def test_sequence_reset_reset_mode_jumps_forward_only(tmp_path):
    s = logged_on(tmp_path)
    s.on_message(msg("4", 99, (36, "50")), 1.0)
    assert s.next_in == 50
    s.on_message(msg("4", 3, (36, "10")), 1.0)  # backwards: ignored
    assert s.next_in == 50


def test_test_request_is_answered_with_its_id(tmp_path):
    s = logged_on(tmp_path)
    a = s.on_message(msg("1", 2, (112, "PING-7")), 1.0)
    assert sent_types(a) == ["0"] and parse(a.send[0]).get(112) == "PING-7"


def test_silence_brings_test_request_then_disconnect(tmp_path):
    s = logged_on(tmp_path, heartbeat_s=10)
    assert sent_types(s.on_timer(10.5)) == ["0"]  # our heartbeat is due
    a = s.on_timer(12.5)  # > 1.2 x HeartBtInt without a message from the peer
    assert sent_types(a) == ["1"]
    assert s.on_timer(20.0).disconnect is None
    assert "silent" in s.on_timer(23.0).disconnect


def test_resend_request_from_peer_is_answered_with_gap_fill(tmp_path):
    s = logged_on(tmp_path)
    a = s.on_message(msg("2", 2, (7, "1"), (16, "0")), 1.0)
    reply = parse(a.send[0])
    assert (reply.msg_type, reply.seq, reply.get(123), reply.get(36), reply.poss_dup) == ("4", 1, "Y", "2", True)


def test_reset_on_logon_sends_141_and_restarts_sequences(tmp_path):
    s = session(tmp_path, reset_on_logon=True)
    s.store.reset(next_in=40, next_out=30)
    logon = parse(s.on_connected(0.0).send[0])
    assert (logon.seq, logon.get(141), s.next_in) == (1, "Y", 1)


def test_sequence_numbers_survive_a_restart(tmp_path):
    s = logged_on(tmp_path)
    s.on_message(fill(2, "E2"), 1.0)
    s.store.acknowledge_in(s.next_in)
    s.store.close()
    again = session(tmp_path)
    logon = parse(again.on_connected(0.0).send[0])
    assert again.next_in == 3 and logon.seq == 2
