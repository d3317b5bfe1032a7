"""Fields of one FIX message -> a FixRecord: what it does (book, correct, bust, nothing) and the
canonical executions it carries.

Message types and their record ids:
  35=8  ExecutionReport       record_kind fill        record_id ExecID(17)
  35=AE TradeCaptureReport    record_kind trade       record_id TradeReportID(571) ":" side index
  35=J  AllocationInstruction record_kind allocation  record_id AllocID(70) ":" AllocAccount(79)
  35=AS AllocationReport      record_kind allocation  record_id AllocID(70) ":" AllocAccount(79)
  35=AK Confirmation          record_kind allocation  record_id ConfirmID(664)
Any other message type (session messages, orders, ...) is valid input that books nothing.
"""

from __future__ import annotations

from recon.fix.allocations import allocation_record, confirmation_record, trade_capture_record
from recon.fix.booking import Booker
from recon.fix.groups import UNSUPPORTED_GROUPS, tag_name
from recon.fix.record import CANCEL, CORRECT, NEW, SKIP, FixRecord
from recon.fix.tags import (
    ALLOCATION_INSTRUCTION,
    ALLOCATION_REPORT,
    BEGIN_STRING,
    CONFIRMATION,
    EXEC_ID,
    EXEC_REF_ID,
    EXEC_TRANS_TYPE,
    EXEC_TYPE,
    EXECUTION_REPORT,
    LAST_QTY,
    MSG_TYPE,
    NO_LEGS,
    NO_UNDERLYINGS,
    POSS_DUP_FLAG,
    POSS_RESEND,
    TRADE_CAPTURE_REPORT,
)
from recon.fix.values import NormalizeError, need

_LEGACY = frozenset({"FIX.4.0", "FIX.4.1", "FIX.4.2"})
# 4.4 ExecType: F trade; 1/2 (4.2 partial/fill codes) accepted as trades too; G correct; H bust.
_ER_ACTION_44 = {"F": NEW, "1": NEW, "2": NEW, "G": CORRECT, "H": CANCEL}
_ER_TRANS_42 = {"0": NEW, "1": CANCEL, "2": CORRECT, "3": SKIP}
_BOOKING_TYPES = frozenset({EXECUTION_REPORT, TRADE_CAPTURE_REPORT, ALLOCATION_INSTRUCTION,
                            ALLOCATION_REPORT, CONFIRMATION})
# Tags the normalizers read: repeated outside a group, they make the message ambiguous -> reject.
_READ_TAGS = frozenset(
    "1 6 11 12 13 15 17 19 20 22 30 31 32 37 43 48 53 54 55 60 64 70 71 72 75 77 79 80 87 97 118 150 153 "
    "154 167 200 201 202 207 381 487 541 571 572 664 666 755 772 773 795".split()
)


class Normalizer:
    """Turns split fields into FixRecords for one broker, resolving instruments through a master."""

    def __init__(self, broker: str, master=None):
        self.booker = Booker(broker, master)

    def normalize(self, fields: dict, dups: set[str], file: str, line: int) -> FixRecord:
        msg_type = fields.get(MSG_TYPE, "")
        poss_dup = fields.get(POSS_DUP_FLAG) == "Y" or fields.get(POSS_RESEND) == "Y"
        if (NO_LEGS in fields or NO_UNDERLYINGS in fields) and msg_type in _BOOKING_TYPES:
            count_tag = NO_LEGS if NO_LEGS in fields else NO_UNDERLYINGS
            raise NormalizeError(
                f"multi-leg/underlying instruments ({UNSUPPORTED_GROUPS[count_tag]}({count_tag})) not supported"
            )
        if dups & _READ_TAGS and msg_type in _BOOKING_TYPES:
            raise NormalizeError(_dup_reason(dups & _READ_TAGS))
        if msg_type == EXECUTION_REPORT:
            return self._execution_report(fields, poss_dup, file, line)
        if msg_type == TRADE_CAPTURE_REPORT:
            return trade_capture_record(self.booker, fields, poss_dup, file, line)
        if msg_type in (ALLOCATION_INSTRUCTION, ALLOCATION_REPORT):
            return allocation_record(self.booker, fields, poss_dup, file, line)
        if msg_type == CONFIRMATION:
            return confirmation_record(self.booker, fields, poss_dup, file, line)
        return FixRecord("other", None, SKIP, poss_dup=poss_dup, msg_type=msg_type)

    def _execution_report(self, fields: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
        exec_id = need(fields, EXEC_ID)
        exec_type = fields.get(EXEC_TYPE)
        if fields[BEGIN_STRING] in _LEGACY:
            trans = fields.get(EXEC_TRANS_TYPE)
            if trans is None:
                raise NormalizeError("missing required ExecTransType(20) (FIX 4.2 ExecutionReport)")
            action = _ER_TRANS_42.get(trans)
            if action is None:
                raise NormalizeError(f"unknown ExecTransType(20)={trans!r}")
            if action == NEW and exec_type not in ("1", "2", "F"):
                # 4.0 has no ExecType: a new report with LastShares > 0 is a fill.
                if exec_type is not None or not _positive(fields.get(LAST_QTY)):
                    action = SKIP
        else:
            if exec_type is None:
                raise NormalizeError("missing required ExecType(150)")
            action = _ER_ACTION_44.get(exec_type, SKIP)
        record = FixRecord("exec", exec_id, action, fields.get(EXEC_REF_ID) or None, poss_dup, msg_type=EXECUTION_REPORT)
        if action in (CORRECT, CANCEL) and not record.ref_id:
            raise NormalizeError(f"{'correction' if action == CORRECT else 'bust'} without ExecRefID(19)")
        if action in (NEW, CORRECT):
            record.executions.append(self.booker.fill(fields, exec_id, file, line))
        return record


def _positive(text: str | None) -> bool:
    return bool(text) and text.replace(".", "", 1).isdigit() and any(c in "123456789" for c in text)


def _dup_reason(tags: set[str]) -> str:
    names = ", ".join(tag_name(t) for t in sorted(tags, key=int))
    return f"{names} appears more than once outside a repeating group"
