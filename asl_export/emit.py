"""Graph -> Amazon States Language (JSONPath query language).

Top level: validate-parameters (Task) -> the flow's steps -> flow-output (Pass, End).
Every top-level Task/Map/Parallel catches States.ALL into $.failure -> run-failure-hooks (only
when the flow has on_failure hooks) -> flow-failed (Fail with the original Error and Cause).
Consecutive .submit()/.map() steps that do not depend on each other become one Parallel state;
a Parallel branch ends with a Pass exporting its results, merged back with States.JsonMerge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asl_export import naming
from asl_export.model import BranchStep, Graph, GroupStep, Inputs, MapStep, Step, TaskStep
from asl_export.options import retry_fields, timeout_seconds


@dataclass
class EmitSettings:
    function_arn: str
    flow_ref: str
    consts: dict[str, Any]
    inline_limit: int
    item_inline_limit: int
    has_hooks: bool
    schema: dict[str, Any] = field(default_factory=dict)
    flow_timeout: int | None = None
    comment: str = ""
    ecs: dict[str, Any] = field(default_factory=dict)  # cluster, task_definition, container, ...


@dataclass
class _Ctx:
    top: bool  # the machine's own scope: Catch can reach the failure states


class Emitter:
    def __init__(self, settings: EmitSettings) -> None:
        self.s = settings
        self.states_seen: set[str] = set()

    # --- the machine -----------------------------------------------------------------------
    def definition(self, graph: Graph) -> dict[str, Any]:
        states: dict[str, Any] = {}
        out_start, out_states = self.output_states(graph.output, naming.OUTPUT, None, wrap=True)
        states.update(out_states)
        start, body = self.sequence(graph.steps, out_start, _Ctx(top=True))
        states.update(body)
        states[naming.VALIDATE] = {
            "Type": "Task",
            "Comment": "Validate the execution input against the flow's parameter schema; apply defaults",
            "Resource": self.s.function_arn,
            "Parameters": {
                "op": "validate_params", "flow": self.s.flow_ref, "schema": self.s.schema,
                "consts": self.s.consts, "input.$": "$",
            },
            "ResultPath": "$",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": naming.FAILED}],
            "Next": start,
        }
        if self.s.has_hooks:
            states[naming.HOOKS] = {
                "Type": "Task",
                "Comment": "Run the flow's on_failure hooks through the runtime",
                "Resource": self.s.function_arn,
                "Parameters": {
                    "op": "on_failure", "flow": self.s.flow_ref, "failure.$": "$.failure",
                    "parameters.$": "$.p", "execution.$": "$$.Execution.Name",
                },
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.hook_failure", "Next": naming.FAILED}],
                "Next": naming.FAILED,
            }
        states.update(_failure_states())
        definition: dict[str, Any] = {
            "Comment": self.s.comment, "StartAt": naming.VALIDATE, "States": _in_run_order(states, naming.VALIDATE),
        }
        if self.s.flow_timeout:
            definition["TimeoutSeconds"] = self.s.flow_timeout
        return definition

    @property
    def failure_target(self) -> str:
        return naming.HOOKS if self.s.has_hooks else naming.FAILED

    def catch(self, state: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
        if ctx.top:
            state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": self.failure_target}]
        return state

    # --- sequences and parallel groups --------------------------------------------------------
    def sequence(self, steps: list[Step], next_state: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        states: dict[str, Any] = {}
        nxt = next_state
        for unit in reversed(_units(steps)):
            if len(unit) == 1:
                nxt, emitted = self.step(unit[0][0], nxt, ctx)
            else:
                nxt, emitted = self.parallel(unit, nxt, ctx)
            states.update(emitted)
        return nxt, states

    def parallel(self, branches: list[list[Step]], nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        name = naming.fit("parallel: " + ", ".join(b[0].name for b in branches))
        merge = naming.fit(f"{name} merge")
        asl_branches, selector = [], {}
        for i, branch in enumerate(branches):
            collect = naming.fit(f"{branch[0].name} collect")
            ids = [s.id for s in branch]
            start, states = self.sequence(branch, collect, _Ctx(top=False))
            states[collect] = {"Type": "Pass", "Parameters": {f"{i_}.$": f"$.r.{i_}" for i_ in ids}, "End": True}
            asl_branches.append({"StartAt": start, "States": states})
            selector[f"b{i}.$"] = f"$[{i}]"  # "$[i]" alone: moto wraps "$[i].x" in a list
        state = {
            "Type": "Parallel", "Branches": asl_branches, "ResultSelector": selector, "ResultPath": "$.merge",
            "Next": merge,
        }
        merged = {
            "Type": "Pass",
            "Comment": "Fold the branches' results into $.r",
            "Parameters": {"p.$": "$.p", "c.$": "$.c", "r.$": _merge_expression(len(branches))},
            "Next": nxt,
        }
        return name, {name: self.catch(state, ctx), merge: merged}

    # --- single steps --------------------------------------------------------------------------
    def step(self, step: Step, nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        if isinstance(step, TaskStep):
            return self.task(step, nxt, ctx)
        if isinstance(step, MapStep):
            return self.map(step, nxt, ctx)
        if isinstance(step, BranchStep):
            return self.choice(step, nxt, ctx)
        return self.group(step, nxt, ctx)

    def invoke(self, name: str, task: Any, task_ref: str, inputs: dict[str, Any], options: dict[str, Any],
               ecs: bool, in_map: bool = False) -> dict[str, dict[str, Any]]:
        """The states running one task call, in order (ECS: a Pass building the event, then the Task).
        The last state still needs ResultPath and Next/End."""
        payload = {"task": task_ref, "inputs": inputs, "options": options, "execution.$": "$$.Execution.Name"}
        state: dict[str, Any] = {"Type": "Task"}
        states: dict[str, dict[str, Any]] = {}
        if ecs:
            prepare = naming.fit(f"{name} (ecs event)")
            event_fields, task_fields = ecs_states(self.s.ecs, payload, in_map)
            states[prepare] = {"Type": "Pass", "Parameters": event_fields, "ResultPath": "$.ecs_event", "Next": name}
            state.update(task_fields)
        else:
            state.update({"Resource": self.s.function_arn, "Parameters": payload})
        timeout = timeout_seconds(task.timeout_seconds)
        if timeout:
            state["TimeoutSeconds"] = timeout
        retry = retry_fields(task.retries, task.retry_delay_seconds)
        if retry:
            state["Retry"] = retry
        states[name] = state
        return states

    def task(self, step: TaskStep, nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        options = {"state": step.name, "inline_limit": self.s.inline_limit}
        if step.items_for_map:
            options["items"] = True
        if step.items_to_s3:
            options["items_s3"] = True
        states = self.invoke(step.name, step.task, step.task_ref, step.inputs.payload(), options, step.ecs)
        states[step.name].update({"ResultPath": f"$.r.{step.id}", "Next": nxt})
        for state in states.values():
            if state["Type"] == "Task":
                self.catch(state, ctx)
        return next(iter(states)), states

    def map(self, step: MapStep, nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        inner_name = naming.fit(f"{step.name} (item)")
        outer = {k: v for k, v in step.inputs.symbols.items() if k not in ("item", "index")}
        inner_inputs = Inputs(step.inputs.template, {
            k: (f"$.{k}" if k in ("item", "index") else f"$.s.{k}") for k in step.inputs.symbols
        })
        options = {"state": inner_name, "inline_limit": self.s.item_inline_limit}
        inner_states = self.invoke(inner_name, step.task, step.task_ref, inner_inputs.payload(), options, step.ecs, True)
        inner_states[inner_name]["End"] = True
        state: dict[str, Any] = {
            "Type": "Map",
            "ItemSelector": {
                "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
                "s": {f"{k}.$": v for k, v in outer.items()},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"} if step.distributed
                else {"Mode": "INLINE"},
                "StartAt": next(iter(inner_states)),
                "States": inner_states,
            },
            "ResultPath": f"$.r.{step.id}",
            "Next": nxt,
        }
        if step.distributed:
            state["ItemReader"] = {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket.$": f"{step.items_key}.bucket", "Key.$": f"{step.items_key}.key"},
            }
        else:
            state["ItemsPath"] = step.items_key
        return step.name, {step.name: self.catch(state, ctx)}

    def choice(self, step: BranchStep, nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        states: dict[str, Any] = {}
        starts = []
        for side, graph in (("true", step.if_true), ("false", step.if_false)):
            result_name = naming.fit(f"{step.name} {side} result")
            out_start, out_states = self.output_states(graph.output, result_name, f"$.r.{step.id}", nxt)
            start, body = self.sequence(graph.steps, out_start, ctx)
            states.update(out_states)
            states.update(body)
            starts.append(start)
        not_bool = naming.fit(f"{step.name} condition is not a bool")
        failure = {"Error": "TypeError", "Cause": f"branch condition at {step.condition_path} must be a bool"}
        if ctx.top:
            states[not_bool] = {"Type": "Pass", "Result": failure, "ResultPath": "$.failure", "Next": self.failure_target}
        else:
            states[not_bool] = {"Type": "Fail", **failure}
        states[step.name] = {
            "Type": "Choice",
            "Choices": [
                {"Not": {"Variable": step.condition_path, "IsBoolean": True}, "Next": not_bool},
                {"Variable": step.condition_path, "BooleanEquals": True, "Next": starts[0]},
            ],
            "Default": starts[1],
        }
        return step.name, states

    def group(self, step: GroupStep, nxt: str, ctx: _Ctx) -> tuple[str, dict[str, Any]]:
        result_name = naming.fit(f"{step.name} result")
        out_start, out_states = self.output_states(step.graph.output, result_name, None)
        start, body = self.sequence(step.graph.steps, out_start, _Ctx(top=False))
        state = {
            "Type": "Parallel",
            "Comment": "A subflow with retries: one branch so that Retry covers all of its states",
            "Branches": [{"StartAt": start, "States": {**body, **out_states}}],
            "ResultPath": f"$.r.{step.id}",
            "Next": nxt,
        }
        retry = retry_fields(step.retries, step.retry_delay_seconds)
        if retry:
            state["Retry"] = retry
        return step.name, {step.name: self.catch(state, ctx)}

    # --- return values -----------------------------------------------------------------------
    def output_states(
        self, output: Inputs | None, name: str, result_path: str | None, nxt: str | None = None, wrap: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """A Pass producing a graph's return value at result_path (or as the whole output).

        wrap=True (the machine's output) gives {"value": <encoded result>}: an execution output is
        always a JSON object, whatever the flow returns."""
        state: dict[str, Any] = {"Type": "Pass"}
        template = output.template if output else None
        lone = isinstance(template, dict) and set(template) == {"$sym"}
        if wrap:
            if lone:
                state["Parameters"] = {"value.$": output.symbols[template["$sym"]]}
            elif output and output.symbols:
                state["Parameters"] = {"value": output.payload()}
            else:
                state["Result"] = {"value": template}
        elif lone:
            state["InputPath"] = output.symbols[template["$sym"]]
        elif output and output.symbols:
            state["Parameters"] = output.payload()
        else:
            state["Result"] = template
        if result_path:
            state["ResultPath"] = result_path
        if nxt:
            state["Next"] = nxt
        else:
            state["End"] = True
        return name, {name: state}


def _in_run_order(states: dict[str, Any], start: str) -> dict[str, Any]:
    """The states in the order a reader follows them (depth-first from start; branches too)."""
    ordered: dict[str, Any] = {}

    def visit(name: str | None) -> None:
        if name is None or name in ordered or name not in states:
            return
        state = ordered[name] = states[name]
        for branch in state.get("Branches", []):
            branch["States"] = _in_run_order(branch["States"], branch["StartAt"])
        if "ItemProcessor" in state:
            processor = state["ItemProcessor"]
            processor["States"] = _in_run_order(processor["States"], processor["StartAt"])
        for choice in state.get("Choices", []):
            visit(choice["Next"])
        visit(state.get("Default"))
        visit(state.get("Next"))
        for catch in state.get("Catch", []):
            visit(catch["Next"])

    visit(start)
    ordered.update({k: v for k, v in states.items() if k not in ordered})
    failure = [k for k in ordered if k in naming.RESERVED - {naming.VALIDATE, naming.OUTPUT}]
    return {**{k: v for k, v in ordered.items() if k not in failure}, **{k: ordered[k] for k in failure}}


def _failure_states() -> dict[str, Any]:
    """Fail with the original error and cause. A Fail state may not raise a States.* name, so
    those (States.Timeout, States.TaskFailed, ...) end as error "FlowFailed" with the name in the cause."""
    renamed = naming.FAILED + " (states error)"
    return {
        naming.FAILED: {
            "Type": "Choice",
            "Choices": [{"Variable": "$.failure.Error", "StringMatches": "States.*", "Next": renamed}],
            "Default": naming.FAILED_END,
        },
        renamed: {
            "Type": "Pass",
            "Parameters": {"Error": "FlowFailed", "Cause.$": "States.Format('{}: {}', $.failure.Error, $.failure.Cause)"},
            "ResultPath": "$.failure",
            "Next": naming.FAILED_END,
        },
        naming.FAILED_END: {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"},
    }


def _merge_expression(branches: int) -> str:
    """States.JsonMerge($.r, $.merge.b0, ...) nested: each branch exported only its own results."""
    expression = "$.r"
    for i in range(branches):
        expression = f"States.JsonMerge({expression}, $.merge.b{i}, false)"
    return expression


def _units(steps: list[Step]) -> list[list[list[Step]]]:
    """Split steps into units: a single step, or a Parallel of branches (each a list of steps).

    A run of consecutive submitted steps is split into connected components by data dependency;
    two or more components run as Parallel branches, each branch in call order.
    """
    units: list[list[list[Step]]] = []
    run: list[Step] = []

    def flush() -> None:
        if not run:
            return
        components: list[list[Step]] = []
        owner: dict[str, list[Step]] = {}
        for step in run:
            joined = [c for c in components if any(d in owner and owner[d] is c for d in step.deps)]
            if not joined:
                target: list[Step] = []
                components.append(target)
            else:
                target = joined[0]
                for other in joined[1:]:
                    target.extend(other)
                    components.remove(other)
                    for s in other:
                        owner[s.id] = target
                target.sort(key=run.index)
            target.append(step)
            owner[step.id] = target
        if len(components) > 1:
            units.append(components)
        else:
            units.extend([[[s]] for s in components[0]])
        run.clear()

    for step in steps:
        if step.submitted:
            run.append(step)
        else:
            flush()
            units.append([[step]])
    flush()
    return units


def ecs_states(ecs: dict[str, Any], payload: dict[str, Any], in_map: bool) -> tuple[dict, dict]:
    from asl_export.ecs import ecs_fields

    return ecs_fields(ecs, payload, in_map)
