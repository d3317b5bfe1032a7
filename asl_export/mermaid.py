"""A Mermaid flowchart of an ASL definition: Tasks as boxes, Choice as diamonds, Map and Parallel
as subgraphs, Catch edges dashed."""

from __future__ import annotations

import hashlib
from typing import Any

_SHAPES = {"Task": ('["', '"]'), "Choice": ('{"', '"}'), "Pass": ('(["', '"])'), "Fail": ('[["', '"]]'),
           "Succeed": ('[["', '"]]'), "Wait": ('[/"', '"/]')}


def _id(name: str) -> str:
    return "s" + hashlib.sha1(name.encode()).hexdigest()[:10]


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(definition: dict[str, Any]) -> str:
    lines = ["flowchart TD", '  start(("start")) --> ' + _id(definition["StartAt"])]
    _states(definition["States"], lines, "  ")
    return "\n".join(lines) + "\n"


def _states(states: dict[str, Any], lines: list[str], indent: str) -> None:
    for name, state in states.items():
        kind = state["Type"]
        node = _id(name)
        if kind in ("Map", "Parallel"):
            title = f"{kind}: {name}"
            if kind == "Map":
                mode = state["ItemProcessor"].get("ProcessorConfig", {}).get("Mode", "INLINE")
                title += f" ({mode.lower()})"
            lines.append(f'{indent}subgraph {node} ["{_label(title)}"]')
            lines.append(f"{indent}  direction TB")
            branches = state.get("Branches") or [state["ItemProcessor"]]
            for branch in branches:
                _states(branch["States"], lines, indent + "  ")
            lines.append(f"{indent}end")
        else:
            left, right = _SHAPES.get(kind, ('["', '"]'))
            lines.append(f"{indent}{node}{left}{_label(name)}{right}")
        if state.get("Next"):
            lines.append(f"{indent}{node} --> {_id(state['Next'])}")
        for choice in state.get("Choices", []):
            condition = "true" if choice.get("BooleanEquals") is True else "not a bool" if "Not" in choice else "match"
            lines.append(f"{indent}{node} -- {condition} --> {_id(choice['Next'])}")
        if state.get("Default"):
            lines.append(f"{indent}{node} -- false --> {_id(state['Default'])}")
        for catch in state.get("Catch", []):
            lines.append(f"{indent}{node} -. error .-> {_id(catch['Next'])}")
