"""Schedules from prefect.yaml: the deployments whose entrypoint is the compiled flow.

Prefect crons have 5 fields (minute hour day-of-month month day-of-week, Sunday = 0 or 7);
EventBridge wants cron(minute hour day-of-month month day-of-week year) with '?' in one of the
two day fields and day-of-week 1-7 = SUN-SAT, so numbers become names (1-5 -> MON-FRI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DAY_NAMES = {"0": "SUN", "1": "MON", "2": "TUE", "3": "WED", "4": "THU", "5": "FRI", "6": "SAT", "7": "SUN"}


class ScheduleError(ValueError):
    """A cron that EventBridge cannot express."""


@dataclass
class Schedule:
    deployment: str
    expression: str  # cron(...) for EventBridge
    timezone: str
    parameters: dict[str, Any] = field(default_factory=dict)
    cron: str = ""


def to_eventbridge(cron: str) -> str:
    fields = cron.split()
    if len(fields) != 5:
        raise ScheduleError(f"cron {cron!r} must have 5 fields (minute hour day month weekday)")
    minute, hour, dom, month, dow = fields
    if dow != "*":
        if dom != "*":
            raise ScheduleError(f"cron {cron!r} sets both day-of-month and day-of-week; EventBridge allows one")
        dow = re.sub(r"\b[0-7]\b", lambda m: _DAY_NAMES[m.group(0)], dow)
        dom = "?"
    else:
        dow = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def entrypoint_of(flow: Any, root: Path) -> str:
    """'flows/daily.py:daily_reconciliation' for a flow defined in <root>/flows/daily.py."""
    import inspect

    source = Path(inspect.getsourcefile(flow.fn) or "").resolve()
    try:
        relative = source.relative_to(root.resolve())
    except ValueError:
        relative = source
    return f"{relative.as_posix()}:{flow.fn.__name__}"


def schedules_for(flow: Any, prefect_yaml: Path, deployment: str | None = None) -> list[Schedule]:
    """Every cron schedule of the deployments of `flow` (or only `deployment`) in prefect.yaml."""
    import yaml

    if not prefect_yaml.exists():
        return []
    config = yaml.safe_load(prefect_yaml.read_text()) or {}
    entrypoint = entrypoint_of(flow, prefect_yaml.parent)
    found = []
    for item in config.get("deployments") or []:
        if item.get("entrypoint") != entrypoint or (deployment and item.get("name") != deployment):
            continue
        for sched in item.get("schedules") or ([item["schedule"]] if item.get("schedule") else []):
            if sched.get("cron") and sched.get("active", True):
                found.append(Schedule(
                    deployment=item["name"], expression=to_eventbridge(sched["cron"]),
                    timezone=sched.get("timezone", "UTC"), parameters=item.get("parameters") or {}, cron=sched["cron"],
                ))
    return found
