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

from recon.fix.record import CANCEL, CORRECT, NEW, SKIP, FixRecord
from recon.fix.tags import (
    ACCOUNT,
    ALLOC_ACCOUNT,
    ALLOC_AVG_PX,
    ALLOC_ID,
    ALLOC_NET_MONEY,
    ALLOC_QTY,
    ALLOC_REPORT_ID,
    ALLOC_REPORT_REF_ID,
    ALLOC_STATUS,
    ALLOC_TRANS_TYPE,
    ALLOCATION_REPORT,
    AVG_PX,
    CL_ORD_ID,
    CONFIRM_ID,
    CONFIRM_REF_ID,
    CONFIRM_TRANS_TYPE,
    CONFIRM_TYPE,
    CONFIRMATION,
    LAST_PX,
    LAST_QTY,
    MSG_TYPE,
    NET_MONEY,
    NO_ALLOCS,
    NO_ORDERS,
    NO_SIDES,
    ORDER_ID,
    REF_ALLOC_ID,
    SIDE,
    TRADE_CAPTURE_REPORT,
    TRADE_REPORT_ID,
    TRADE_REPORT_REF_ID,
    TRADE_REPORT_TRANS_TYPE,
    group_key,
)
from recon.fix.values import NormalizeError, dec, need

if TYPE_CHECKING:
    from recon.fix.booking import Booker

_AE_ACTIONS = {"0": NEW, "2": CORRECT, "1": CANCEL, "4": CANCEL, "5": CANCEL, "3": SKIP}
_ALLOC_ACTIONS = {"0": NEW, "4": NEW, "5": NEW, "1": CORRECT, "2": CANCEL, "6": CANCEL, "3": SKIP}
_CONFIRM_ACTIONS = {"0": NEW, "1": CORRECT, "2": CANCEL}


def _action(table: dict[str, str], fields: dict, tag: str, name: str) -> str:
    code = fields.get(tag) or "0"
    action = table.get(code)
    if action is None:
        raise NormalizeError(f"unknown {name}({tag})={code!r}")
    return action


def _record(family, msg_id, action, ref, poss_dup, msg_type) -> FixRecord:
    if action in (CORRECT, CANCEL) and not ref:
        what = "replace" if action == CORRECT else "cancel"
        raise NormalizeError(f"{what} without a reference to the record it changes")
    return FixRecord(family, msg_id, action, ref, poss_dup, msg_type=msg_type)


def trade_capture_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    report_id = need(f, TRADE_REPORT_ID)
    action = _action(_AE_ACTIONS, f, TRADE_REPORT_TRANS_TYPE, "TradeReportTransType")
    record = _record("trade", report_id, action, f.get(TRADE_REPORT_REF_ID), poss_dup, TRADE_CAPTURE_REPORT)
    if action not in (NEW, CORRECT):
        return record
    sides = f.get(group_key(NO_SIDES))
    if sides is None:
        if SIDE not in f:
            raise NormalizeError("missing required NoSides(552)")
        sides = [f]  # some engines (jspurefix) omit the NoSides count for a single side
    inst = booker.resolver.resolve(f)
    qty = dec(f, LAST_QTY)
    if qty <= 0:
        raise NormalizeError(f"LastQty(32) must be > 0, got {f['32']!r}")
    price = dec(f, LAST_PX)
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
                order_id=side.get(ORDER_ID) or None,
                group_id=None,
                net_tag=NET_MONEY,
                side_fields=side,
            )
        )
    return record


def _side_account(side: dict, index: int) -> str:
    account = side.get(ACCOUNT)
    if not account:
        raise NormalizeError(f"missing required Account(1) in NoSides(552) entry {index}")
    return account


def allocation_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    msg_type = f[MSG_TYPE]
    alloc_id = f.get(ALLOC_ID) or (f.get(ALLOC_REPORT_ID) if msg_type == ALLOCATION_REPORT else None)
    if not alloc_id:
        raise NormalizeError("missing required AllocID(70)")
    action = _action(_ALLOC_ACTIONS, f, ALLOC_TRANS_TYPE, "AllocTransType")
    if msg_type == ALLOCATION_REPORT and f.get(ALLOC_STATUS) in ("1", "2", "5"):
        action = SKIP
    ref = f.get(REF_ALLOC_ID) or (f.get(ALLOC_REPORT_REF_ID) if msg_type == ALLOCATION_REPORT else None)
    record = _record("alloc", alloc_id, action, ref, poss_dup, msg_type)
    if action not in (NEW, CORRECT):
        return record
    allocs = f.get(group_key(NO_ALLOCS))
    if not allocs:
        raise NormalizeError("missing required NoAllocs(78)")
    inst = booker.resolver.resolve(f)
    avg_px = dec(f, AVG_PX)
    order_id = _first_order_id(f)
    seen: dict[str, int] = {}
    for index, alloc in enumerate(allocs, start=1):
        account = alloc.get(ALLOC_ACCOUNT)
        if not account:
            raise NormalizeError(f"missing required AllocAccount(79) in NoAllocs(78) entry {index}")
        qty = dec(alloc, ALLOC_QTY)
        if qty <= 0:
            raise NormalizeError(
                f"AllocQty(80) must be > 0 in NoAllocs(78) entry {index}, got {alloc['80']!r}"
            )
        price = dec(alloc, ALLOC_AVG_PX) if alloc.get(ALLOC_AVG_PX) else avg_px
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
                net_tag=ALLOC_NET_MONEY,
                gross_tag=None,
            )
        )
    return record


def _first_order_id(f: dict) -> str | None:
    for order in f.get(group_key(NO_ORDERS)) or ():
        if order.get(ORDER_ID) or order.get(CL_ORD_ID):
            return order.get(ORDER_ID) or order.get(CL_ORD_ID)
    return f.get(ORDER_ID) or None


def confirmation_record(booker: Booker, f: dict, poss_dup: bool, file: str, line: int) -> FixRecord:
    confirm_id = need(f, CONFIRM_ID)
    action = _action(_CONFIRM_ACTIONS, f, CONFIRM_TRANS_TYPE, "ConfirmTransType")
    if f.get(CONFIRM_TYPE) in ("1", "3"):
        action = SKIP
    record = _record("confirm", confirm_id, action, f.get(CONFIRM_REF_ID), poss_dup, CONFIRMATION)
    if action not in (NEW, CORRECT):
        return record
    account = f.get(ALLOC_ACCOUNT) or f.get(ACCOUNT)
    if not account:
        raise NormalizeError("missing required AllocAccount(79) (or Account(1))")
    qty = dec(f, ALLOC_QTY)
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
            price=dec(f, AVG_PX),
            file=file,
            line=line,
            order_id=_first_order_id(f),
            group_id=f.get(ALLOC_ID) or None,
            net_tag=NET_MONEY,
        )
    )
    return record
