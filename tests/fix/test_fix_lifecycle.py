"""Lifecycle: corrections replace (chains resolve), busts remove, PossDup resends are duplicates."""

from __future__ import annotations

from decimal import Decimal

from fix_builders import er42, er44, quickfix_message

from recon.fix import FixBook, check_totals, ingest


def _totals(result, file="dropcopy.fix"):
    return result.totals[file]


def test_correction_of_the_original(parse):
    result = parse([er44("E1", px="10.00"), er44("C1", exec_type="G", ref="E1", px="10.05")])
    [e] = result.executions
    assert (e.record_id, e.version, e.price, e.exec_type, e.ref_id) == ("E1", 2, Decimal("10.05"), "G", "E1")
    assert e.extra["exec_ids"] == ["E1", "C1"]
    assert e.line == 2  # the values come from the correction
    t = _totals(result)
    assert (t["booked"], t["corrected"], t["executions"]) == (1, 1, 1)


def test_correction_of_a_correction_via_latest_and_via_original(parse):
    msgs = [
        er44("E1", qty="100"),
        er44("C1", exec_type="G", ref="E1", qty="90"),
        er44("C2", exec_type="G", ref="C1", qty="80"),  # points at the latest correction
        er44("C3", exec_type="G", ref="E1", qty="70"),  # points at the original again
    ]
    result = parse(msgs)
    [e] = result.executions
    assert (e.record_id, e.version, e.quantity) == ("E1", 4, Decimal(70))
    assert e.extra["exec_ids"] == ["E1", "C1", "C2", "C3"]
    assert _totals(result)["corrected"] == 3


def test_bust_removes_and_later_changes_are_rejected(parse):
    msgs = [
        er44("E1"),
        er44("E2"),
        er44("C1", exec_type="G", ref="E1", qty="50"),
        er44("B1", exec_type="H", ref="C1"),  # bust by the correction's id
        er44("C2", exec_type="G", ref="E1", qty="40"),
        er44("B2", exec_type="H", ref="E1"),
    ]
    result = parse(msgs)
    assert [e.record_id for e in result.executions] == ["E2"]
    assert [r.reason for r in result.rejects] == [
        "correction of busted ExecID(17)=E1 (ExecRefID(19)=E1)",
        "bust of busted ExecID(17)=E1 (ExecRefID(19)=E1)",
    ]
    t = _totals(result)
    assert (t["booked"], t["voided"], t["corrected"], t["busted"], t["rejected_lifecycle"]) == (1, 1, 1, 1, 2)


def test_unknown_targets_are_rejected(parse):
    result = parse([er44("C9", exec_type="G", ref="NOPE"), er44("B9", exec_type="H", ref="GONE"), er44("E1")])
    assert [r.reason for r in result.rejects] == [
        "correction target unknown: ExecRefID(19)=NOPE was never booked",
        "bust target unknown: ExecRefID(19)=GONE was never booked",
    ]
    assert [r.record_id for r in result.rejects] == ["C9", "B9"]
    assert [e.record_id for e in result.executions] == ["E1"]


def test_correction_without_exec_ref_id(parse):
    result = parse([er44("E1"), er44("C1", exec_type="G")])
    assert result.rejects[0].reason == "correction without ExecRefID(19)"


def test_possdup_resends_are_duplicates_not_bookings(parse):
    msgs = [
        er44("E1"),
        er44("E1", poss_dup=True),
        er44("E1", poss_dup=True),
        er44("E2", poss_dup=True),  # first copy we ever see: booked
        quickfix_message("8", [(97, "Y"), *_fill("E2")]),  # PossResend(97)=Y
        er44("S1", exec_type="I", qty="0"),
        er44("S1", exec_type="I", qty="0", poss_dup=True),
    ]
    result = parse(msgs)
    assert [e.record_id for e in result.executions] == ["E1", "E2"]
    t = _totals(result)
    assert (t["duplicates"], t["booked"], t["not_booked"], t["rejected"]) == (4, 2, 1, 0)


def _fill(exec_id):
    from fix_builders import fill_fields

    return fill_fields(exec_id)


def test_fix42_exec_trans_type_cancel_and_correct(parse):
    msgs = [
        er42("A1", "0", exec_type="1", qty="100"),
        er42("A2", "0", exec_type="2", qty="200"),
        er42("A3", "2", exec_type="2", ref="A1", qty="110"),  # correct A1
        er42("A4", "1", exec_type="2", ref="A2"),  # cancel (bust) A2
        er42("A5", "2", exec_type="2", ref="A3", qty="120"),  # correct the correction
    ]
    result = parse(msgs)
    [e] = result.executions
    assert (e.record_id, e.quantity, e.version, e.exec_type) == ("A1", Decimal(120), 3, "2")
    t = _totals(result)
    assert (t["booked"], t["voided"], t["corrected"], t["busted"]) == (1, 1, 2, 1)


def test_trade_report_replace_keeps_original_side_ids(parse):
    def ae(report_id, trans, qty, ref=None):
        body = [(571, report_id), (487, trans), (55, "IBM"), (32, qty), (31, "10"), (75, "20261127")]
        if ref:
            body.append((572, ref))
        return quickfix_message("AE", body, [(552, 54, [[(54, "1"), (1, "A")], [(54, "2"), (1, "B")]])])

    result = parse(
        [
            ae("T1", "0", "100"),
            ae("T2", "2", "150", ref="T1"),
            ae("T3", "0", "5"),
            ae("T4", "1", "5", ref="T3"),
        ]
    )
    assert [(e.record_id, e.quantity, e.version) for e in result.executions] == [
        ("T1:1", Decimal(150), 2),
        ("T1:2", Decimal(150), 2),
    ]


def test_allocation_replace_and_cancel(parse):
    def j(alloc_id, trans, qty, ref=None):
        body = [(70, alloc_id), (71, trans), (54, "1"), (55, "IBM"), (53, qty), (6, "10"), (75, "20261127")]
        if ref:
            body.append((72, ref))
        return quickfix_message("J", body, [(78, 79, [[(79, "ACC-1"), (80, qty)]])])

    result = parse(
        [j("A1", "0", "100"), j("A2", "1", "120", ref="A1"), j("A3", "0", "7"), j("A4", "2", "7", ref="A3")]
    )
    [e] = result.executions
    assert (e.record_id, e.group_id, e.quantity, e.version) == ("A1:ACC-1", "A1", Decimal(120), 2)


def test_stream_batches_share_one_book():
    book = FixBook()
    first = ingest([(er44("E1"), "kinesis:shard-0", 1), (er44("E2"), "kinesis:shard-0", 2)], "nb", book=book)
    assert [e.record_id for e in first.executions] == ["E1", "E2"]
    second = ingest(
        [
            (er44("C1", exec_type="G", ref="E1", qty="1"), "kinesis:shard-0", 3),
            (er44("B1", exec_type="H", ref="E2"), "kinesis:shard-0", 4),
            (er44("E1", poss_dup=True), "kinesis:shard-0", 5),
        ],
        "nb",
        book=book,
    )
    assert [(e.record_id, e.version, e.quantity) for e in second.executions] == [("E1", 2, Decimal(1))]
    assert second.removed == ["E2"]
    t = second.totals["kinesis:shard-0"]
    check_totals(t)
    assert (t["corrected"], t["busted"], t["duplicates"], t["booked"]) == (1, 1, 1, 0)
    assert [e.record_id for e in book.effective()] == ["E1"]
