"""The execution lifecycle: corrections replace, busts remove, PossDup resends are dropped.

A "unit" is what one booking message created: one fill (35=8), the sides of one trade report
(AE), the allocations of one AllocID (J/AS), one confirmation (AK). Rules:
- a correction (150=G, 4.2 20=2, AE 487=2, J 71=1, AK 666=1) replaces the unit's executions with
  its own; its reference (ExecRefID(19) etc.) may name the original id or any later correction's id
  (chains resolve). The effective records keep the ORIGINAL id as record_id, with version + 1.
- a bust/cancel (150=H, 4.2 20=1, AE 487=1/4/5, J 71=2/6, AK 666=2) removes the unit.
- a message whose id was already seen: with PossDupFlag(43)=Y or PossResend(97)=Y it is a resend
  (counted as a duplicate, not booked again); without, it is rejected (two different messages
  cannot share an id).
- a correction/bust whose target is unknown or already busted is rejected with the reason.
The book keeps state across batches so a stream can feed it micro-batch by micro-batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from recon.fix.record import CANCEL, CORRECT, NEW, SKIP, FixRecord
from recon.model import Execution

_ID_NAMES = {
    "exec": "ExecID(17)",
    "trade": "TradeReportID(571)",
    "alloc": "AllocID(70)",
    "confirm": "ConfirmID(664)",
}
_REF_NAMES = {
    "exec": "ExecRefID(19)",
    "trade": "TradeReportRefID(572)",
    "alloc": "RefAllocID(72)",
    "confirm": "ConfirmRefID(772)",
}

DUPLICATE, NOT_BOOKED, NEW_UNIT, CORRECTED, BUSTED, REJECTED = (
    "duplicates",
    "not_booked",
    "new",
    "corrected",
    "busted",
    "rejected_lifecycle",
)


@dataclass(slots=True)
class _Unit:
    key: str
    executions: list[Execution]
    origin_file: str
    batch: int
    version: int
    alive: bool
    exec_ids: list[str]  # every message id in the chain, in order


@dataclass(slots=True)
class BatchOutcome:
    """What a batch changed: effective executions touched, ids removed, booked/voided per file."""

    executions: list[Execution]
    removed: list[str]  # record_ids emitted by an earlier batch and busted in this one
    booked: dict[str, int]
    voided: dict[str, int]


class FixBook:
    def __init__(self) -> None:
        self._units: dict[tuple[str, str], _Unit] = {}
        self._alias: dict[tuple[str, str], tuple[str, str]] = {}  # correction/bust id -> unit key
        self._seen: dict[
            tuple[str, str], tuple[str, int]
        ] = {}  # booking message id -> (file, line) first seen
        self._skipped: set[tuple[str, str]] = set()
        self._batch = 0
        self._touched: dict[tuple[str, str], None] = {}
        self._removed: list[str] = []
        self._new: list[_Unit] = []

    def begin_batch(self) -> None:
        self._batch += 1
        self._touched = {}
        self._removed = []
        self._new = []

    def apply(self, rec: FixRecord, file: str, line: int) -> tuple[str, str | None]:
        """-> (bucket, reject reason or None). Buckets are the control-total names."""
        key = (rec.family, rec.msg_id)
        if rec.action == SKIP:
            if rec.msg_id is None:
                return NOT_BOOKED, None
            if rec.poss_dup and key in self._skipped:
                return DUPLICATE, None
            self._skipped.add(key)
            return NOT_BOOKED, None
        first = self._seen.get(key)
        if first is not None:
            if rec.poss_dup:
                return DUPLICATE, None
            return REJECTED, (
                f"duplicate {_ID_NAMES[rec.family]}={rec.msg_id} without PossDupFlag(43)=Y "
                f"(first seen at {first[0]}:{first[1]})"
            )
        self._seen[key] = (file, line)
        if rec.action == NEW:
            unit = _Unit(rec.msg_id, rec.executions, file, self._batch, 1, True, [rec.msg_id])
            self._units[key] = unit
            self._new.append(unit)
            return NEW_UNIT, None
        ref = (rec.family, rec.ref_id)
        target = ref if ref in self._units else self._alias.get(ref)
        what = "correction" if rec.action == CORRECT else "bust"
        if target is None:
            return REJECTED, f"{what} target unknown: {_REF_NAMES[rec.family]}={rec.ref_id} was never booked"
        unit = self._units[target]
        if not unit.alive:
            return (
                REJECTED,
                f"{what} of busted {_ID_NAMES[rec.family]}={unit.key} ({_REF_NAMES[rec.family]}={rec.ref_id})",
            )
        self._alias[key] = target
        unit.exec_ids.append(rec.msg_id)
        if rec.action == CANCEL:
            unit.alive = False
            if unit.batch != self._batch:
                self._removed.extend(e.record_id for e in unit.executions)
                self._touched.pop(target, None)
            return BUSTED, None
        assert rec.action == CORRECT
        unit.version += 1
        for e in rec.executions:
            _rebase(e, rec.msg_id, unit.key, unit.version, rec.ref_id, unit.exec_ids)
        unit.executions = rec.executions
        if unit.batch != self._batch:
            self._touched[target] = None  # this batch's own units are reported through _new
        return CORRECTED, None

    def finish_batch(self) -> BatchOutcome:
        executions: list[Execution] = []
        booked: dict[str, int] = {}
        voided: dict[str, int] = {}
        for unit in self._new:
            if unit.alive:
                executions.extend(unit.executions)
            bucket = booked if unit.alive else voided
            bucket[unit.origin_file] = bucket.get(unit.origin_file, 0) + 1
        for key in self._touched:  # corrected in this batch, booked in an earlier one
            executions.extend(self._units[key].executions)
        return BatchOutcome(executions, list(self._removed), booked, voided)

    def effective(self) -> list[Execution]:
        """Every live execution the book holds (all batches)."""
        return [e for u in self._units.values() if u.alive for e in u.executions]


def _rebase(e: Execution, msg_id: str, key: str, version: int, ref: str | None, chain: list[str]) -> None:
    """A correction's executions take the original id (prefix swap keeps AE/J suffixes)."""
    if e.record_id.startswith(msg_id):
        e.record_id = key + e.record_id[len(msg_id) :]
    if e.group_id == msg_id:
        e.group_id = key
    e.version = version
    e.ref_id = ref
    e.extra["exec_ids"] = list(chain)
