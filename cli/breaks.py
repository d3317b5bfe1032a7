"""`recon breaks`: look at breaks and move them through their lifecycle, with an audit trail.

Write-offs and manual matches need maker-checker: `resolve --write-off` files a request, and a
different user runs `approve`. Every change is a break event naming who and why.
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer

from cli.common import console, fail, table

app = typer.Typer(help="List, show, assign, resolve and approve breaks; see their history.", no_args_is_help=True)

LIST_COLUMNS = ["break", "status", "priority", "type", "broker", "account", "instrument", "side", "at_stake",
                "ccy", "usd", "age_d", "assignee", "incident"]  # fmt: skip
WAREHOUSE_OPT = typer.Option(None, "--warehouse", help="DuckDB file (default: RECON_HOME/warehouse.duckdb).")
BY_OPT = typer.Option(None, "--by", help="Who makes the change (default: $RECON_USER or the login name).")


def _user(by: str | None) -> str:
    return by or os.environ.get("RECON_USER") or getpass.getuser()


def _warehouse(path: Path | None):
    from blocks.warehouse import Warehouse
    from tasks.break_lifecycle import ensure_lifecycle

    wh = Warehouse(duckdb_path=str(path)) if path else Warehouse()
    ensure_lifecycle(wh)
    return wh


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _short(row: dict) -> dict:
    return {
        "break": row["break_id"][:12], "status": row["status"], "priority": row["priority"] or "",
        "type": row["break_type"], "broker": row["broker"], "account": row["account"],
        "instrument": row["instrument_id"], "side": row["side"], "at_stake": _money(row["difference_amount"]),
        "ccy": row["currency"], "usd": _money(row.get("difference_usd")),
        "age_d": f"{row['age_days']:.1f}",
        "assignee": row["assignee"] or "", "incident": row.get("incident") or "",
    }  # fmt: skip


def _run(action):
    """Lifecycle refusals are the user's to fix: exit 2 with the reason."""
    from tasks.break_lifecycle import LifecycleError

    try:
        return action()
    except LifecycleError as exc:
        fail(str(exc))


@app.command("list")
def list_(
    status: list[str] = typer.Option([], "--status", "-s", help="open, assigned, investigating, resolved, "
                                      "written_off, closed. Repeatable. Default: the three open ones."),
    broker: str | None = typer.Option(None, "--broker"),
    account: str | None = typer.Option(None, "--account"),
    trade_date: str | None = typer.Option(None, "--date", help="Trade date YYYY-MM-DD."),
    priority: str | None = typer.Option(None, "--priority", help="P1..P4"),
    assignee: str | None = typer.Option(None, "--assignee"),
    break_type: str | None = typer.Option(None, "--type", help="e.g. QUANTITY_MISMATCH"),
    min_notional: str | None = typer.Option(None, "--min-notional", help="Only breaks with |notional| >= this, in USD (a currency without a rate for the day: as it stands)."),
    older_than: float | None = typer.Option(None, "--older-than", help="Only breaks at least this many days old."),
    awaiting_approval: bool = typer.Option(False, "--awaiting-approval", help="Only breaks with a pending request."),
    aging: bool = typer.Option(False, "--aging", help="Also print counts and amounts per age bucket."),
    limit: int = typer.Option(200, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    warehouse: Path | None = WAREHOUSE_OPT,
) -> None:
    """Breaks, most urgent first (priority score, then notional). Example: recon breaks list --broker northbridge"""
    from tasks.break_lifecycle import aging_summary, list_breaks

    day = None
    if trade_date:
        try:
            day = date.fromisoformat(trade_date)
        except ValueError:
            fail(f"--date {trade_date!r} is not YYYY-MM-DD")
    notional = None
    if min_notional is not None:
        try:
            notional = Decimal(min_notional)
        except InvalidOperation:
            fail(f"--min-notional {min_notional!r} is not a number")
    wh = _warehouse(warehouse)
    rows = _run(lambda: list_breaks(
        wh, statuses=status or None, broker=broker, account=account, trade_date=day, priority=priority,
        assignee=assignee, break_type=break_type, min_notional=notional, older_than_days=older_than,
        awaiting_approval=awaiting_approval, limit=limit))  # fmt: skip
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    console.print(table(f"breaks ({len(rows)})", [_short(r) for r in rows], LIST_COLUMNS))
    if aging:
        summary = [{**s, "notional_usd": _money(s["notional_usd"]), "at_stake_usd": _money(s["at_stake_usd"])}
                   for s in aging_summary(rows)]  # fmt: skip
        console.print(table("aging (USD)", summary, ["age", "breaks", "notional_usd", "at_stake_usd", "no_usd_rate"]))


@app.command()
def show(break_id: str = typer.Argument(..., help="Break id or a unique prefix (6+ chars)."),
         warehouse: Path | None = WAREHOUSE_OPT) -> None:  # fmt: skip
    """Everything about one break: both sides, money at stake, incident, approvals, last events."""
    from tasks.break_lifecycle import approvals, get_break, history

    wh = _warehouse(warehouse)
    brk = _run(lambda: get_break(wh, break_id))
    fields = [{"field": k, "value": v} for k, v in brk.items() if v is not None]
    console.print(table(f"break {brk['break_id']}", fields, ["field", "value"]))
    pending = approvals(wh, brk["break_id"], None)
    if pending:
        console.print(table("approval requests", pending, ["approval_id", "action", "resolution_code",
                                                            "requested_by", "status", "decided_by", "reason"]))
    events = history(wh, brk["break_id"])[-10:]
    console.print(table("last events", events, ["event_at", "actor", "event", "from_status", "to_status", "reason"]))


@app.command()
def history(break_id: str = typer.Argument(..., help="Break id or a unique prefix (6+ chars)."),
            warehouse: Path | None = WAREHOUSE_OPT) -> None:  # fmt: skip
    """Every event of a break, oldest first: who, what, from which status to which, and why."""
    from tasks.break_lifecycle import history as events_of

    wh = _warehouse(warehouse)
    events = _run(lambda: events_of(wh, break_id))
    console.print(table(f"history of {break_id} ({len(events)} events)", events,
                        ["event_at", "actor", "event", "from_status", "to_status", "reason", "run_id"]))  # fmt: skip


@app.command()
def assign(break_id: str = typer.Argument(...), to: str = typer.Option(..., "--to", help="The assignee."),
           reason: str | None = typer.Option(None, "--reason"), by: str | None = BY_OPT,
           warehouse: Path | None = WAREHOUSE_OPT) -> None:  # fmt: skip
    """Give a break to someone (open -> assigned)."""
    from tasks.break_lifecycle import assign as do_assign

    wh = _warehouse(warehouse)
    brk = _run(lambda: do_assign(wh, break_id, to, _user(by), reason))
    console.print(f"break {brk['break_id'][:12]} is {brk['status']}, assigned to {brk['assignee']}")


@app.command()
def resolve(
    break_id: str = typer.Argument(...),
    code: str = typer.Option(..., "--code", help="Resolution code, e.g. 'Broker error', 'Booking error'."),
    reason: str = typer.Option(..., "--reason", help="Why: kept in the audit trail and sent to ServiceNow."),
    write_off: bool = typer.Option(False, "--write-off", help="Write the break off (needs a second user's approval)."),
    manual_match: bool = typer.Option(False, "--manual-match", help="Match by hand (needs a second user's approval)."),
    match_with: list[str] = typer.Option([], "--match-with", help="Record ids the manual match pairs. Repeatable."),
    by: str | None = BY_OPT,
    warehouse: Path | None = WAREHOUSE_OPT,
) -> None:
    """Resolve a break; with --write-off or --manual-match, file a request for a different user to approve."""
    from tasks.break_lifecycle import request_approval
    from tasks.break_lifecycle import resolve as do_resolve

    if write_off and manual_match:
        fail("--write-off and --manual-match exclude each other")
    if match_with and not manual_match:
        fail("--match-with only goes with --manual-match")
    wh = _warehouse(warehouse)
    if write_off or manual_match:
        action = "write_off" if write_off else "manual_match"
        details = {"match_with": match_with} if match_with else None
        approval_id = _run(lambda: request_approval(wh, break_id, action, code, reason, _user(by), details))
        console.print(f"{action.replace('_', ' ')} requested: approval [bold]{approval_id}[/] waits for a "
                      f"different user: recon breaks approve {approval_id}")  # fmt: skip
        return
    brk = _run(lambda: do_resolve(wh, break_id, code, reason, _user(by)))
    console.print(f"break {brk['break_id'][:12]} resolved ({brk['resolution_code']})")


@app.command()
def approve(
    approval_id: str = typer.Argument(..., help="The id printed by `recon breaks resolve --write-off/--manual-match`."),
    reject: bool = typer.Option(False, "--reject", help="Reject the request instead."),
    reason: str | None = typer.Option(None, "--reason"),
    by: str | None = BY_OPT,
    warehouse: Path | None = WAREHOUSE_OPT,
) -> None:
    """Approve (or --reject) a write-off or manual match requested by someone else."""
    from tasks.break_lifecycle import decide

    wh = _warehouse(warehouse)
    brk = _run(lambda: decide(wh, approval_id, _user(by), approve=not reject, reason=reason))
    verb = "rejected" if reject else "approved"
    console.print(f"{verb}: break {brk['break_id'][:12]} is {brk['status']}")


@app.command()
def approvals(status: str = typer.Option("pending", "--status", help="pending, approved, rejected or all"),
              warehouse: Path | None = WAREHOUSE_OPT) -> None:  # fmt: skip
    """Approval requests (pending by default)."""
    from tasks.break_lifecycle import approvals as requests

    if status not in ("pending", "approved", "rejected", "all"):
        fail(f"--status {status!r}: use pending, approved, rejected or all")
    rows = requests(_warehouse(warehouse), None, None if status == "all" else status)
    for r in rows:
        r["break"] = r["break_id"][:12]
    console.print(table(f"approval requests ({len(rows)})", rows, ["approval_id", "break", "action",
                  "resolution_code", "requested_by", "requested_at", "status", "decided_by", "reason"]))  # fmt: skip
