"""Trace a Prefect flow into a Graph by running its function with symbolic task results.

While a Tracer is active, the wrappers in patches.py send prefect's Task.__call__/submit/map and
Flow.__call__ here: each records a step and returns a Symbol instead of running anything. Subflow
calls are traced inline (state names get the subflow's name as prefix).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from prefect import Flow, Task
from prefect.utilities.annotations import BaseAnnotation, unmapped
from prefect.utilities.callables import get_call_parameters

from asl_export.codec import EncodingError, encode, import_qualified, qualified_name
from asl_export.errors import CompileError, at_user_line
from asl_export.model import BranchStep, Graph, GroupStep, Inputs, MapStep, TaskStep
from asl_export.naming import fit
from asl_export.options import TracingOptions
from asl_export.patches import ACTIVE, patched
from asl_export.symbols import Symbol, is_future, symbol_key, symbol_node, symbol_path

_INDEX = object()  # path step meaning "the current Map iteration index"


def active_tracer() -> Tracer | None:
    return ACTIVE.get()


class Tracer:
    def __init__(self, flow: Flow, options: TracingOptions) -> None:
        self.flow = flow
        self.options = options
        self.used_ids: set[str] = set()
        self.used_names: set[str] = set()
        self.consts: dict[str, Any] = {}
        self.producers: dict[str, TaskStep] = {}
        self.graphs: list[Graph] = []
        self.prefixes: list[str] = []
        self.subflows: list[Flow] = []

    # --- entry point ---------------------------------------------------------------------
    def trace(self) -> Graph:
        if inspect.iscoroutinefunction(self.flow.fn):
            raise CompileError(f"flow '{self.flow.name}' is async; only synchronous flows compile")
        params = {
            name: Symbol(f"p.{name}", None, f"parameter '{name}'")
            for name in inspect.signature(self.flow.fn).parameters
        }
        token = ACTIVE.set(self)
        try:
            with patched():
                return self.subgraph(lambda: self.flow.fn(**params), f"flow '{self.flow.name}'")
        finally:
            ACTIVE.reset(token)

    def subgraph(self, body: Callable[[], Any], returns_from: str | None = None) -> Graph:
        graph = Graph()
        self.graphs.append(graph)
        try:
            result = _run_user(body)
        finally:
            self.graphs.pop()
        if returns_from:
            _refuse_returned_futures(result, returns_from)
        graph.output = self.inputs(result)
        return graph

    # --- naming ----------------------------------------------------------------------------
    def new_id(self, base: str) -> tuple[str, str]:
        prefix = "".join(self.prefixes)
        ident = re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix.replace('.', '__')}{base}")
        name, n = f"{prefix}{base}", 1
        while ident in self.used_ids or name in self.used_names:
            n += 1
            ident = re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix.replace('.', '__')}{base}_{n}")
            name = f"{prefix}{base}-{n}"
        name = fit(name)
        self.used_ids.add(ident)
        self.used_names.add(name)
        return ident, name

    # --- templates -------------------------------------------------------------------------
    def inputs(self, value: Any) -> Inputs:
        found = Inputs(template=None)
        found.template = self._template(value, found)
        return found

    def _template(self, value: Any, found: Inputs) -> Any:
        if isinstance(value, Symbol):
            key = symbol_key(value)
            placeholder = re.sub(r"[^A-Za-z0-9_]", "_", key)
            found.symbols[placeholder] = "$." + key
            if symbol_node(value):
                found.deps.add(symbol_node(value))
            out: dict[str, Any] = {"$sym": placeholder}
            if symbol_path(value):
                out["path"] = [self._path_step(step, found) for step in symbol_path(value)]
            return out
        if isinstance(value, unmapped):
            return self._template(value.value, found)
        if isinstance(value, BaseAnnotation):
            raise at_user_line(f"{type(value).__name__}(...) cannot be compiled; pass the value itself")
        if isinstance(value, list):
            return [self._template(v, found) for v in value]
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"$tuple": [self._template(v, found) for v in value]}
        if isinstance(value, set | frozenset) and any(isinstance(v, Symbol) for v in value):
            raise at_user_line("a set holding task results cannot be compiled; use a list")
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") and not k.endswith(".$") for k in value):
                return {k: self._template(v, found) for k, v in value.items()}
            return {"$dict": [[self._template(k, found), self._template(v, found)] for k, v in value.items()]}
        if hasattr(value, "__prefect_future__") or type(value).__name__.endswith("Future"):
            raise at_user_line("a real Prefect future appeared while tracing; call tasks inside the flow")
        try:
            return encode(value)
        except EncodingError as exc:
            raise at_user_line(f"constant cannot be passed between states: {exc}") from None

    def _path_step(self, step: Any, found: Inputs) -> Any:
        if step is _INDEX:
            found.symbols["index"] = "$.index"
            return {"$sym": "index"}
        return step

    # --- recording -------------------------------------------------------------------------
    def _task_ref(self, task: Task) -> str:
        ref = qualified_name(task.fn)
        try:
            target = import_qualified(ref)
        except (ImportError, AttributeError, ValueError):
            target = None
        if getattr(target, "fn", target) is not task.fn or "<locals>" in ref or ref.startswith("__main__:"):
            raise at_user_line(
                f"task '{task.name}' ({ref}) is not importable by reference; define tasks at module "
                "level of an importable module so the Lambda/ECS runtime can load them"
            )
        return ref

    def _check_task(self, task: Task) -> None:
        if inspect.iscoroutinefunction(task.fn):
            raise at_user_line(f"task '{task.name}' is async; only synchronous tasks compile")
        if task.retry_condition_fn is not None:
            raise at_user_line(
                f"task '{task.name}' has retry_condition_fn, which ASL Retry cannot express; "
                "remove it (Retry then applies to every error, as Prefect does by default)"
            )

    def _wait_for(self, wait_for: Any) -> set[str]:
        if wait_for is None:
            return set()
        items = wait_for if isinstance(wait_for, list | tuple | set) else [wait_for]
        deps = set()
        for item in items:
            if not isinstance(item, Symbol):
                raise at_user_line("wait_for must list futures/results of tasks in this flow")
            if symbol_node(item):
                deps.add(symbol_node(item))
        return deps

    def call_task(self, task: Task, args: tuple, kwargs: dict, submitted: bool) -> Symbol:
        wait_for = kwargs.pop("wait_for", None)
        if kwargs.pop("return_state", False):
            raise at_user_line("return_state=True cannot be compiled; let failures fail the flow")
        self._check_task(task)
        params = get_call_parameters(task.fn, args, kwargs, apply_defaults=False)
        ident, name = self.new_id(task.name)
        step = TaskStep(
            id=ident, name=name, task=task, task_ref=self._task_ref(task), inputs=self.inputs(params),
            submitted=submitted, wait_for=self._wait_for(wait_for), ecs=self.options.is_ecs(task),
        )
        self.graphs[-1].steps.append(step)
        self.producers[ident] = step
        return Symbol(f"r.{ident}", ident, f"result of task '{task.name}'", future=submitted)

    def map_task(self, task: Task, args: tuple, kwargs: dict) -> Symbol:
        wait_for = kwargs.pop("wait_for", None)
        self._check_task(task)
        params = get_call_parameters(task.fn, args, kwargs, apply_defaults=False)
        ident, name = self.new_id(task.name)
        mapped = {k: v for k, v in params.items() if _is_mapped(v)}
        if not mapped:
            raise at_user_line(f"task '{task.name}'.map(...) got no iterable argument to map over")
        for arg, value in mapped.items():
            if not isinstance(value, Symbol):
                self.consts[f"{ident}_{arg}"] = encode(list(value))
                mapped[arg] = Symbol(f"c.{ident}_{arg}", None, f"mapped constant '{arg}'")
        first_arg, first = next(iter(mapped.items()))
        call: dict[str, Any] = dict(params)
        call[first_arg] = Symbol("item", None, f"map item of '{first_arg}'")
        for arg, value in list(mapped.items())[1:]:
            call[arg] = Symbol(symbol_key(value), symbol_node(value), f"item of '{arg}'", symbol_path(value) + (_INDEX,))
        hint = self.options.items_hint(task)
        producer = self.producers.get(symbol_node(first) or "")
        distributed = bool(
            hint > self.options.distributed_map_above and producer and not symbol_path(first)
            and symbol_key(first) == f"r.{producer.id}"
        )
        if producer:
            producer.items_for_map = True
            producer.items_to_s3 = producer.items_to_s3 or distributed
        inputs = self.inputs(call)
        if symbol_node(first):
            inputs.deps.add(symbol_node(first))
        items_path = "$." + symbol_key(first) + "".join(_jsonpath_step(s) for s in symbol_path(first))
        step = MapStep(
            id=ident, name=name, task=task, task_ref=self._task_ref(task), inputs=inputs, items_key=items_path,
            distributed=distributed, wait_for=self._wait_for(wait_for), items_hint=hint, ecs=self.options.is_ecs(task),
        )
        self.graphs[-1].steps.append(step)
        return Symbol(f"r.{ident}", ident, f"results of '{task.name}'.map", future=True)

    def call_subflow(self, flow: Flow, args: tuple, kwargs: dict) -> Any:
        if inspect.iscoroutinefunction(flow.fn):
            raise at_user_line(f"subflow '{flow.name}' is async; only synchronous flows compile")
        if kwargs.pop("return_state", False):
            raise at_user_line("return_state=True cannot be compiled; let failures fail the flow")
        if flow.timeout_seconds or flow.on_failure_hooks:
            raise at_user_line(
                f"subflow '{flow.name}' has timeout_seconds/on_failure hooks, which are compiled only for the "
                "top-level flow; put the timeout on its tasks and the hooks on the top-level flow"
            )
        params = get_call_parameters(flow.fn, args, kwargs)
        self.subflows.append(flow)
        self.prefixes.append(f"{flow.name}.")
        try:
            if not flow.retries:
                result = _run_user(lambda: flow.fn(**params))
                _refuse_returned_futures(result, f"subflow '{flow.name}'")
                return result
            ident, name = self.new_id("retry-group")
            graph = self.subgraph(lambda: flow.fn(**params), f"subflow '{flow.name}'")
        finally:
            self.prefixes.pop()
        deps = graph.output.deps if graph.output else set()
        step = GroupStep(ident, name, graph, flow.retries, flow.retry_delay_seconds, deps)
        self.graphs[-1].steps.append(step)
        # The one-branch Parallel outputs [value]: the value is element 0.
        return Symbol(f"r.{ident}", ident, f"result of subflow '{flow.name}'", (0,))

    def branch(self, condition: Any, if_true: Callable, if_false: Callable, args: tuple, kwargs: dict) -> Any:
        if not isinstance(condition, Symbol):
            return None  # a compile-time constant: the caller runs the chosen side directly
        ident, name = self.new_id("branch")
        path = "$." + symbol_key(condition) + "".join(_jsonpath_step(s) for s in symbol_path(condition))
        true_graph = self.subgraph(lambda: if_true(*args, **kwargs))
        false_graph = self.subgraph(lambda: if_false(*args, **kwargs))
        deps = {symbol_node(condition)} - {None}
        self.graphs[-1].steps.append(BranchStep(ident, name, path, true_graph, false_graph, deps))
        return Symbol(f"r.{ident}", ident, "result of branch")


def _refuse_returned_futures(value: Any, where: str) -> None:
    """Prefect turns futures in a flow's return value into States, not values: refuse, with the fix."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, Symbol) and is_future(item):
            raise CompileError(
                f"{where} returns {item!r}, a future from .submit()/.map(); Prefect returns its State, "
                "not its value: return future.result() (or pass it through a task)"
            )
        if isinstance(item, dict | list | tuple):
            _refuse_returned_futures(item, where)


def _is_mapped(value: Any) -> bool:
    if isinstance(value, unmapped):
        return False
    if isinstance(value, Symbol):
        return True
    if isinstance(value, str | bytes | dict):
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _jsonpath_step(step: Any) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(step)):
        return f".{step}"
    return "['" + str(step).replace("'", "\\'") + "']"


def _run_user(body: Callable[[], Any]) -> Any:
    from prefect.exceptions import MissingContextError

    try:
        return body()
    except MissingContextError as exc:
        raise at_user_line(
            f"{exc} - the flow body is compiled, not run: use get_run_logger()/run context inside tasks"
        ) from None
