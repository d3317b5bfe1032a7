"""TradeCaptureReport (AE), AllocationInstruction (J), AllocationReport (AS), Confirmation (AK).

Their lifecycle fields map onto the same actions as ExecutionReports:
  AE TradeReportTransType(487): 0 new (default), 2 replace, 1/4/5 cancel/reverse, 3 release (nothing);
     the target is TradeReportRefID(572).
  J/AS AllocTransType(71): 0 new (default), 4/5 calculated -> new, 1 replace, 2/6 cancel/reversal,
     3 preliminary (nothing); the target is RefAllocID(72) (AS: else AllocReportRefID(795)).
     AS with AllocStatus(87) 1/2/5 (rejected) books nothing.
  AK ConfirmTransType(666): 0 new (default), 1 replace, 2 cancel; the target is ConfirmRefID(772).
     ConfirmType(773) 1 (status) or 3 (request rejected) books nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recon.fix.values import NormalizeError, dec, need

if TYPE_CHECKING:
    from recon.fix.booking import Booker
    from recon.fix.normalize import FixRecord

_AE_ACTIONS = {"0": "new", "2": "correct", "1": "cancel", "4": "cancel", "5": "cancel", "3": "skip"}
_ALLOC_ACTIONS = {
    "0": "new",
    "4": "new",
    "5": "new",
    "1": "correct",
    "2": "cancel",
    "6": "cancel",
    "3": "skip",
}
_CONFIRM_ACTIONS = {"0": "new", "1": "correct", "2": "cancel"}


def _action(table: dict[str, str], fields: dict, tag: str, name: str) -> str:
    code = fields.get(tag) or "0"
    action = table.get(code)
    if action is None:
        raise NormalizeError(f"unknown {name}({tag})={code!r}")
    return action


def _record(family, msg_id, action, ref, poss_dup, msg_type) -> FixRecord:
    from recon.fix.normalize import FixRecord

    if action in ("correct", "cancel") and not ref:
        what = "replace" if action == "correct" else "cancel"
        raise NormalizeError(f"{what} without a reference to the record it changes")
    return FixRecord(family, msg_id, action, ref, poss_dup, msg_type=msg_type)


def trade_capture_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    report_id = need(f, "571")
    action = _action(_AE_ACTIONS, f, "487", "TradeReportTransType")
    record = _record("trade", report_id, action, f.get("572"), poss_dup, "AE")
    if action not in ("new", "correct"):
        return record
    sides = f.get("552[]")
    if sides is None:
        if "54" not in f:
            raise NormalizeError("missing required NoSides(552)")
        sides = [f]  # some engines (jspurefix) omit the NoSides count for a single side
    inst = booker.resolver.resolve(f)
    qty = dec(f, "32")
    if qty <= 0:
        raise NormalizeError(f"LastQty(32) must be > 0, got {f['32']!r}")
    price = dec(f, "31")
    for index, side in enumerate(sides, start=1):
        record.executions.append(
            booker.execution(
                f,
                side,
                inst,
                record_id=f"{report_id}:{index}",
                kind="trade",
                account=_side_account(side, index),
                qty=qty,
                price=price,
                file=file,
                line=line,
                order_id=side.get("37") or None,
                group_id=None,
                net_tag="118",
                side_fields=side,
            )
        )
    return record


def _side_account(side: dict, index: int) -> str:
    account = side.get("1")
    if not account:
        raise NormalizeError(f"missing required Account(1) in NoSides(552) entry {index}")
    return account


def allocation_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    msg_type = f["35"]
    alloc_id = f.get("70") or (f.get("755") if msg_type == "AS" else None)
    if not alloc_id:
        raise NormalizeError("missing required AllocID(70)")
    action = _action(_ALLOC_ACTIONS, f, "71", "AllocTransType")
    if msg_type == "AS" and f.get("87") in ("1", "2", "5"):
        action = "skip"
    ref = f.get("72") or (f.get("795") if msg_type == "AS" else None)
    record = _record("alloc", alloc_id, action, ref, poss_dup, msg_type)
    if action not in ("new", "correct"):
        return record
    allocs = f.get("78[]")
    if not allocs:
        raise NormalizeError("missing required NoAllocs(78)")
    inst = booker.resolver.resolve(f)
    avg_px = dec(f, "6")
    order_id = _first_order_id(f)
    seen: dict[str, int] = {}
    for index, alloc in enumerate(allocs, start=1):
        account = alloc.get("79")
        if not account:
            raise NormalizeError(f"missing required AllocAccount(79) in NoAllocs(78) entry {index}")
        qty = dec(alloc, "80")
        if qty <= 0:
            raise NormalizeError(
                f"AllocQty(80) must be > 0 in NoAllocs(78) entry {index}, got {alloc['80']!r}"
            )
        price = dec(alloc, "153") if alloc.get("153") else avg_px
        # Two entries for one account (a split allocation) keep distinct, stable ids.
        seen[account] = seen.get(account, 0) + 1
        suffix = account if seen[account] == 1 else f"{account}#{seen[account]}"
        record.executions.append(
            booker.execution(
                f,
                alloc,
                inst,
                record_id=f"{alloc_id}:{suffix}",
                kind="allocation",
                account=account,
                qty=qty,
                price=price,
                file=file,
                line=line,
                order_id=order_id,
                group_id=alloc_id,
                net_tag="154",
                gross_tag=None,
            )
        )
    return record


def _first_order_id(f: dict) -> str | None:
    for order in f.get("73[]") or ():
        if order.get("37") or order.get("11"):
            return order.get("37") or order.get("11")
    return f.get("37") or None


def confirmation_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    confirm_id = need(f, "664")
    action = _action(_CONFIRM_ACTIONS, f, "666", "ConfirmTransType")
    if f.get("773") in ("1", "3"):
        action = "skip"
    record = _record("confirm", confirm_id, action, f.get("772"), poss_dup, "AK")
    if action not in ("new", "correct"):
        return record
    account = f.get("79") or f.get("1")
    if not account:
        raise NormalizeError("missing required AllocAccount(79) (or Account(1))")
    qty = dec(f, "80")
    if qty <= 0:
        raise NormalizeError(f"AllocQty(80) must be > 0, got {f['80']!r}")
    record.executions.append(
        booker.execution(
            f,
            f,
            booker.resolver.resolve(f),
            record_id=confirm_id,
            kind="allocation",
            account=account,
            qty=qty,
            price=dec(f, "6"),
            file=file,
            line=line,
            order_id=_first_order_id(f),
            group_id=f.get("70") or None,
            net_tag="118",
        )
    )
    return record
