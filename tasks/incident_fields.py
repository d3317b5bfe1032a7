"""From a break (a row of the break store) to ServiceNow incident fields: business logic, kept
out of the HTTP client (blocks/servicenow.py) so it can be read, tested and changed on its own.

The rules are data on the ServiceNow block, never code: `assignment_rules` (groups by break_type /
broker / asset_class / recon, first match wins), `default_assignment_group`, and `field_map`
templates (str.format_map over the break's columns; missing ones render as "").

    values = incident_fields(servicenow, brk, run_id=..., new=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from blocks.servicenow import AssignmentRule, ServiceNow

_RULE_KEYS = ("break_type", "broker", "asset_class", "recon")


def incident_fields(servicenow: ServiceNow, brk: Mapping, *, run_id: str | None = None,
                    prefect_run_url: str | None = None, report_url: str | None = None,
                    new: bool = True) -> dict[str, str]:  # fmt: skip
    """The incident's fields for a break. Assignment is set on creation only: analysts own it after."""
    values = render_templates(servicenow.field_map, brk)
    values["description"] = description(brk, run_id, prefect_run_url, report_url)
    values["correlation_id"] = str(brk["break_id"])
    values["correlation_display"] = "fix-recon"
    values["impact"], values["urgency"] = impact_urgency(brk.get("priority"))
    if new:
        values["assignment_group"] = assignment_group(
            servicenow.assignment_rules, servicenow.default_assignment_group, brk
        )
    return values

# Break priority -> (impact, urgency); ServiceNow derives priority from the two.
PRIORITY_TO_IMPACT_URGENCY: dict[str, tuple[str, str]] = {
    "P1": ("1", "1"), "critical": ("1", "1"),
    "P2": ("1", "2"), "high": ("1", "2"),
    "P3": ("2", "2"), "medium": ("2", "2"),
    "P4": ("3", "3"), "low": ("3", "3"),
}  # fmt: skip

# Which columns of a break are shown side by side in the description.
SIDE_BY_SIDE = ("quantity", "price", "settle", "commission")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def text(value) -> str:
    """How a value reads in an incident: decimals without exponent or trailing noise."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_templates(field_map: Mapping[str, str], brk: Mapping) -> dict[str, str]:
    values = _Blank({k: text(v) for k, v in brk.items()})
    return {name: template.format_map(values).strip() for name, template in field_map.items()}


def rule_matches(rule: AssignmentRule, brk: Mapping) -> bool:
    """Every field the rule gives equals the break's; a field left empty matches anything."""
    return all(getattr(rule, k) in (None, "") or str(brk.get(k) or "") == getattr(rule, k) for k in _RULE_KEYS)


def assignment_group(rules: list[AssignmentRule], default: str, brk: Mapping) -> str:
    for rule in rules:
        if rule_matches(rule, brk):
            return rule.group
    return default


def impact_urgency(priority: str | None) -> tuple[str, str]:
    return PRIORITY_TO_IMPACT_URGENCY.get(str(priority or ""), ("3", "3"))


def difference(a, b) -> str:
    try:
        return text(Decimal(str(b)) - Decimal(str(a)))
    except ArithmeticError:
        return ""


def description(brk: Mapping, run_id: str | None, prefect_run_url: str | None, report_url: str | None) -> str:
    """What an analyst needs without opening another tool: both sides, the differences, why it is odd."""
    lines = [
        f"Break {brk.get('break_id')} ({brk.get('break_type')}), recon {brk.get('recon')}, status {brk.get('status')}",
        f"Account {text(brk.get('account'))}  broker {text(brk.get('broker'))}  instrument "
        f"{text(brk.get('instrument_id'))} ({text(brk.get('asset_class'))})  side {text(brk.get('side'))}",
        f"Trade date {text(brk.get('trade_date'))}  currency {text(brk.get('currency'))}",
        f"Internal ids: {text(brk.get('internal_ids')) or '-'}",
        f"Broker ids:   {text(brk.get('broker_ids')) or '-'}",
        "",
        f"{'field':<12}{'internal':>22}{'broker':>22}{'difference':>18}",
    ]
    for name in SIDE_BY_SIDE:
        a, b = brk.get(f"internal_{name}"), brk.get(f"broker_{name}")
        if a is None and b is None:
            continue
        diff = difference(a, b) if name != "settle" and a is not None and b is not None else ""
        lines.append(f"{name:<12}{text(a) or '-':>22}{text(b) or '-':>22}{diff:>18}")
    lines += [
        "",
        f"Money at stake: {text(brk.get('difference_amount'))} {text(brk.get('currency'))}; "
        f"notional {text(brk.get('notional'))}",
        f"Priority {text(brk.get('priority')) or '-'} (score {text(brk.get('priority_score')) or '-'})",
        f"First seen {text(brk.get('first_seen'))}, last seen {text(brk.get('last_seen'))}",
    ]
    if brk.get("anomaly_score") is not None or brk.get("anomaly_explanation"):
        lines.append(
            f"Anomaly score {text(brk.get('anomaly_score'))}: {text(brk.get('anomaly_explanation')) or '-'}"
        )
    lines.append("")
    lines.append(f"Reconciliation run: {run_id or '-'}")
    if prefect_run_url:
        lines.append(f"Prefect run: {prefect_run_url}")
    if report_url:
        lines.append(f"Report: {report_url}")
    return "\n".join(lines)

