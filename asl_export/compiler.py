"""compile_flow(): a Prefect flow -> StateMachine (definition, JSON, tasks, checks)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from asl_export.checks import check_definition
from asl_export.codec import import_qualified, qualified_name
from asl_export.emit import EmitSettings, Emitter
from asl_export.errors import CompileError
from asl_export.model import Graph, MapStep, TaskStep
from asl_export.naming import RESERVED
from asl_export.options import TracingOptions, timeout_seconds
from asl_export.params import parameter_schema
from asl_export.runtime import DEFAULT_INLINE_LIMIT
from asl_export.trace import Tracer

DEFAULT_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:asl-runtime"
STATE_BUDGET = 256 * 1024
STATE_MARGIN = 16 * 1024  # parameters, Map bookkeeping and the failure record


@dataclass
class TaskInfo:
    state: str
    task: str  # prefect task name
    ref: str  # module:qualname
    kind: str  # "task" or "map"
    ecs: bool
    retries: int
    timeout_seconds: int | None


@dataclass
class StateMachine:
    flow: Any
    flow_ref: str
    graph: Graph
    definition: dict[str, Any]
    schema: dict[str, Any]
    settings: EmitSettings
    options: TracingOptions
    machine_type: str = "STANDARD"
    metrics: dict[str, int] = field(default_factory=dict)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.definition, indent=indent)

    @property
    def tasks(self) -> list[TaskInfo]:
        found = []
        for step in self.graph.walk():
            if isinstance(step, TaskStep | MapStep):
                found.append(TaskInfo(
                    step.name, step.task.name, step.task_ref, "map" if isinstance(step, MapStep) else "task",
                    step.ecs, step.task.retries or 0, timeout_seconds(step.task.timeout_seconds),
                ))
        return found

    @property
    def uses_ecs(self) -> bool:
        return any(t.ecs for t in self.tasks)

    @property
    def uses_distributed_map(self) -> bool:
        return any(isinstance(s, MapStep) and s.distributed for s in self.graph.walk())

    def with_function(self, function_arn: str, ecs: dict[str, Any] | None = None) -> dict[str, Any]:
        """The definition with another runtime function ARN (and ECS settings), e.g. for deploy."""
        settings = EmitSettings(**{**self.settings.__dict__, "function_arn": function_arn,
                                   "ecs": ecs if ecs is not None else self.settings.ecs})
        return Emitter(settings).definition(self.graph)


def compile_flow(
    flow: Any,
    *,
    function_arn: str = DEFAULT_FUNCTION_ARN,
    machine_type: str = "STANDARD",
    inline_limit: int = DEFAULT_INLINE_LIMIT,
    distributed_map_above: int = 1000,
    default_items_hint: int = 40,
    map_size: int | None = None,
    ecs: dict[str, Any] | None = None,
) -> StateMachine:
    """Trace `flow` and emit its state machine. Raises CompileError for what ASL cannot express.

    inline_limit: largest result (bytes of JSON) kept in the state; larger ones go to S3. The
      effective limit is lowered so that all results of one execution fit in 256 KiB together.
    distributed_map_above / default_items_hint: a Map whose expected size (tag 'asl:items=N' on the
      mapped task, else default_items_hint) exceeds the threshold becomes a Distributed Map.
    map_size: the Map size used for the history-events estimate (default: the largest hint).
    """
    from prefect import Flow

    if not isinstance(flow, Flow):
        raise CompileError(f"{flow!r} is not a Prefect flow (decorate it with @flow)")
    if machine_type not in ("STANDARD", "EXPRESS"):
        raise CompileError(f"machine type must be STANDARD or EXPRESS, not {machine_type!r}")
    flow_ref = qualified_name(flow.fn)
    try:
        imported = import_qualified(flow_ref)
    except (ImportError, AttributeError, ValueError):
        imported = None
    if getattr(imported, "fn", None) is not flow.fn or "<locals>" in flow_ref:
        raise CompileError(f"flow '{flow.name}' ({flow_ref}) must be defined at module level of an importable module")
    options = TracingOptions(distributed_map_above=distributed_map_above, default_items_hint=default_items_hint)
    tracer = Tracer(flow, options)
    tracer.used_names.update(RESERVED)
    graph = tracer.trace()
    steps = list(graph.walk())
    hints = [s.items_hint or default_items_hint for s in steps if isinstance(s, MapStep)]
    consts_bytes = len(json.dumps(tracer.consts))
    budget = STATE_BUDGET - STATE_MARGIN - consts_bytes
    if budget <= 0:
        raise CompileError(f"constants in the flow body take {consts_bytes} bytes; pass large data by reference")
    per_result = max(256, min(inline_limit, budget // max(1, len(steps))))
    per_item = max(256, per_result // max(1, max(hints, default=1)))
    settings = EmitSettings(
        function_arn=function_arn, flow_ref=flow_ref, consts=tracer.consts, inline_limit=per_result,
        item_inline_limit=per_item, has_hooks=bool(flow.on_failure_hooks),
        flow_timeout=timeout_seconds(flow.timeout_seconds), comment=f"Compiled from Prefect flow '{flow.name}' ({flow_ref})",
        schema=parameter_schema(flow), ecs=ecs or {},
    )
    definition = Emitter(settings).definition(graph)
    machine = StateMachine(flow, flow_ref, graph, definition, settings.schema, settings, options, machine_type)
    if machine_type == "EXPRESS" and (machine.uses_ecs or machine.uses_distributed_map):
        raise CompileError("EXPRESS machines cannot run ecs:runTask.sync or a Distributed Map; use STANDARD")
    machine.metrics = check_definition(definition, map_size if map_size is not None else max(hints, default=None))
    return machine
