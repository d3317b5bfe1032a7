"""The traced flow as a graph of steps, before it becomes ASL.

State data layout at the top level of every execution (and inside each Parallel branch):
    {"p": validated parameters, "c": constants, "r": {step_id: result}}
Each result is a tagged-JSON value (codec.py) or a {"$ref": "s3://..."} claim check.
Inputs are templates: encoded values with {"$sym": key, "path": [...]} placeholders, plus a map
from placeholder key to the JSONPath where that value lives (see codec.decode "$template").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Inputs:
    """A template with holes and where each hole's value is read from (key -> JSONPath)."""

    template: Any
    symbols: dict[str, str] = field(default_factory=dict)
    deps: set[str] = field(default_factory=set)

    def payload(self) -> Any:
        """An ASL Parameters fragment; a lone constant or symbol stays as simple as possible."""
        return {"$template": self.template, "symbols": {f"{k}.$": v for k, v in self.symbols.items()}}


@dataclass
class TaskStep:
    id: str  # key under "$.r" and the base of the state name
    name: str  # readable state name (unique, <= 80 chars)
    task: Any  # the prefect Task
    task_ref: str  # module:qualname the runtime imports
    inputs: Inputs
    submitted: bool = False
    wait_for: set[str] = field(default_factory=set)
    items_for_map: bool = False  # its result feeds a Map's ItemsPath: must stay an inline array
    items_to_s3: bool = False  # its result feeds a Distributed Map's ItemReader
    ecs: bool = False

    @property
    def deps(self) -> set[str]:
        return self.inputs.deps | self.wait_for


@dataclass
class MapStep:
    id: str
    name: str
    task: Any
    task_ref: str
    inputs: Inputs  # inside an iteration: keys "item" and "index" plus context symbols
    items_key: str  # JSONPath (top level) of the array to iterate, or of the S3 locator if distributed
    distributed: bool = False
    wait_for: set[str] = field(default_factory=set)
    items_hint: int | None = None
    ecs: bool = False
    submitted: bool = True  # task.map is asynchronous in Prefect: siblings may run in parallel

    @property
    def deps(self) -> set[str]:
        return self.inputs.deps | self.wait_for


@dataclass
class BranchStep:
    id: str
    name: str
    condition_path: str  # JSONPath of the boolean
    if_true: Graph
    if_false: Graph
    deps: set[str]
    submitted: bool = False


@dataclass
class GroupStep:
    """A subflow with retries: its steps in a one-branch Parallel that carries the Retry."""

    id: str
    name: str
    graph: Graph
    retries: int
    retry_delay_seconds: Any
    deps: set[str]
    submitted: bool = False


Step = TaskStep | MapStep | BranchStep | GroupStep


@dataclass
class Graph:
    steps: list[Step] = field(default_factory=list)
    output: Inputs | None = None  # the flow's (or branch's) return value

    def walk(self):
        for step in self.steps:
            yield step
            if isinstance(step, BranchStep):
                yield from step.if_true.walk()
                yield from step.if_false.walk()
            elif isinstance(step, GroupStep):
                yield from step.graph.walk()
