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

from dataclasses import dataclass, field

from recon.fix.allocations import allocation_record, confirmation_record, trade_capture_record
from recon.fix.booking import Booker
from recon.fix.groups import UNSUPPORTED_GROUPS, tag_name
from recon.fix.values import NormalizeError, need
from recon.model import Execution

NEW, CORRECT, CANCEL, SKIP = "new", "correct", "cancel", "skip"
_LEGACY = frozenset({"FIX.4.0", "FIX.4.1", "FIX.4.2"})
# 4.4 ExecType: F trade; 1/2 (4.2 partial/fill codes) accepted as trades too; G correct; H bust.
_ER_ACTION_44 = {"F": NEW, "1": NEW, "2": NEW, "G": CORRECT, "H": CANCEL}
_ER_TRANS_42 = {"0": NEW, "1": CANCEL, "2": CORRECT, "3": SKIP}
_BOOKING_TYPES = frozenset({"8", "AE", "J", "AS", "AK"})
# Tags the normalizers read: repeated outside a group, they make the message ambiguous -> reject.
_READ_TAGS = frozenset(
    "1 6 11 12 13 15 17 19 20 22 30 31 32 37 43 48 53 54 55 60 64 70 71 72 75 77 79 80 87 97 118 150 153 "
    "154 167 200 201 202 207 381 487 541 571 572 664 666 755 772 773 795".split()
)


@dataclass(slots=True)
class FixRecord:
    """One parsed message. family+msg_id identify it for duplicate detection and lifecycle refs."""

    family: str  # exec | trade | alloc | confirm | other
    msg_id: str | None
    action: str  # new | correct | cancel | skip
    ref_id: str | None = None
    poss_dup: bool = False
    executions: list[Execution] = field(default_factory=list)
    msg_type: str = ""


class Normalizer:
    """Turns split fields into FixRecords for one broker, resolving instruments through a master."""

    def __init__(self, broker: str, master=None):
        self.booker = Booker(broker, master)

    def normalize(self, fields: dict, dups: set[str], file: str, line: int) -> FixRecord:
        msg_type = fields.get("35", "")
        poss_dup = fields.get("43") == "Y" or fields.get("97") == "Y"
        if ("555" in fields or "711" in fields) and msg_type in _BOOKING_TYPES:
            count_tag = "555" if "555" in fields else "711"
            raise NormalizeError(
                f"multi-leg/underlying instruments ({UNSUPPORTED_GROUPS[count_tag]}({count_tag})) not supported"
            )
        if dups & _READ_TAGS and msg_type in _BOOKING_TYPES:
            raise NormalizeError(_dup_reason(dups & _READ_TAGS))
        if msg_type == "8":
            return self._execution_report(fields, poss_dup, file, line)
        if msg_type == "AE":
            return trade_capture_record(self.booker, fields, poss_dup, file, line)
        if msg_type in ("J", "AS"):
            return allocation_record(self.booker, fields, poss_dup, file, line)
        if msg_type == "AK":
            return confirmation_record(self.booker, fields, poss_dup, file, line)
        return FixRecord("other", None, SKIP, poss_dup=poss_dup, msg_type=msg_type)

    def _execution_report(self, fields: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
        exec_id = need(fields, "17")
        exec_type = fields.get("150")
        if fields["8"] in _LEGACY:
            trans = fields.get("20")
            if trans is None:
                raise NormalizeError("missing required ExecTransType(20) (FIX 4.2 ExecutionReport)")
            action = _ER_TRANS_42.get(trans)
            if action is None:
                raise NormalizeError(f"unknown ExecTransType(20)={trans!r}")
            if action == NEW and exec_type not in ("1", "2", "F"):
                # 4.0 has no ExecType: a new report with LastShares > 0 is a fill.
                if exec_type is not None or not _positive(fields.get("32")):
                    action = SKIP
        else:
            if exec_type is None:
                raise NormalizeError("missing required ExecType(150)")
            action = _ER_ACTION_44.get(exec_type, SKIP)
        record = FixRecord("exec", exec_id, action, fields.get("19") or None, poss_dup, msg_type="8")
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
