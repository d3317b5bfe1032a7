"""Build-time checks: definition size, state-name length, estimated execution history.

History estimate (a STANDARD execution is limited to 25,000 events). Counted per state, worst
case (every retry used, the longer side of each Choice):
  execution start/end: 2;  Pass/Choice/Fail: 2 (entered, exited)
  Lambda Task: 5 (entered, scheduled, started, succeeded/failed, exited) + 3 per retry attempt
  ECS Task: 5 + 3 per retry attempt
  Parallel: 4 + the sum over branches;  inline Map: 4 + N * (2 + events of one iteration)
  Distributed Map: 6 (its iterations run as child executions with their own histories)
where N is the expected map size (asl:items=N tag, else the compile option / --map-size).
"""

from __future__ import annotations

import json
from typing import Any

from asl_export.errors import CompileError
from asl_export.naming import MAX_STATE_NAME

MAX_DEFINITION_BYTES = 1024 * 1024
MAX_HISTORY_EVENTS = 25_000


def all_state_names(states: dict[str, Any]) -> list[str]:
    names = []
    for name, state in states.items():
        names.append(name)
        for branch in state.get("Branches", []):
            names += all_state_names(branch["States"])
        if "ItemProcessor" in state:
            names += all_state_names(state["ItemProcessor"]["States"])
    return names


def estimate_history(states: dict[str, Any], start: str, map_size: int | None) -> int:
    """Events of the longest path through `states` from `start` (see module docstring)."""
    return 2 + _path_events(states, start, map_size, set())


def _path_events(states: dict[str, Any], name: str | None, map_size: int | None, seen: set[str]) -> int:
    if name is None or name in seen:
        return 0
    seen = seen | {name}
    state = states[name]
    kind = state["Type"]
    own = 2
    if kind == "Task":
        retries = sum(r.get("MaxAttempts", 3) for r in state.get("Retry", []))
        own = 5 + 3 * retries
    elif kind == "Parallel":
        own = 4 + sum(estimate_history(b["States"], b["StartAt"], map_size) - 2 for b in state["Branches"])
        retries = sum(r.get("MaxAttempts", 3) for r in state.get("Retry", []))
        own *= 1 + retries
    elif kind == "Map":
        processor = state["ItemProcessor"]
        if processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
            own = 6
        else:
            size = map_size if map_size is not None else 40
            inner = estimate_history(processor["States"], processor["StartAt"], map_size) - 2
            own = 4 + size * (2 + inner)
    if kind == "Choice":
        targets = [c["Next"] for c in state["Choices"]] + [state.get("Default")]
        return own + max(_path_events(states, t, map_size, seen) for t in targets)
    catch_paths = [c["Next"] for c in state.get("Catch", [])]
    tail = _path_events(states, state.get("Next"), map_size, seen)
    failure_tail = max((_path_events(states, t, map_size, seen) for t in catch_paths), default=0)
    return own + max(tail, failure_tail)


def check_definition(definition: dict[str, Any], map_size: int | None = None) -> dict[str, int]:
    """Raise CompileError when a limit is exceeded; return the measured figures."""
    size = len(json.dumps(definition, separators=(",", ":")).encode("utf-8"))
    if size >= MAX_DEFINITION_BYTES:
        raise CompileError(f"definition is {size} bytes; Step Functions accepts less than 1 MB")
    long_names = [n for n in all_state_names(definition["States"]) if len(n) > MAX_STATE_NAME]
    if long_names:
        raise CompileError(f"state names longer than {MAX_STATE_NAME} characters: {long_names}")
    events = estimate_history(definition["States"], definition["StartAt"], map_size)
    if events >= MAX_HISTORY_EVENTS:
        raise CompileError(
            f"estimated history is {events} events (map size {map_size}); a STANDARD execution stops at "
            f"{MAX_HISTORY_EVENTS}: tag the mapped task 'asl:distributed' or reduce retries"
        )
    return {"definition_bytes": size, "states": len(all_state_names(definition["States"])), "history_events": events}

