"""Flow parameters -> a JSON schema embedded in the definition, and validation of execution input.

The runtime's first state calls validate_input() with the flow imported, so values are coerced
exactly as Prefect coerces them (pydantic, via Flow.validate_parameters) and defaults applied.
`recon asl start` has only the deployed definition: it checks input against the embedded JSON
schema with jsonschema (types, required, unknown names) before starting an execution.
"""

from __future__ import annotations

import inspect
from typing import Any

from asl_export.codec import encode


class ParameterError(ValueError):
    """Execution input does not match the flow's parameters."""


def parameter_schema(flow: Any) -> dict[str, Any]:
    """The flow's parameter JSON schema, as Prefect builds it for deployments."""
    from prefect.utilities.callables import parameter_schema as prefect_schema

    return prefect_schema(flow.fn).model_dump(mode="json", exclude_none=True)


def _check_names(flow: Any, raw: dict[str, Any]) -> None:
    signature = inspect.signature(flow.fn)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return
    unknown = sorted(set(raw) - set(signature.parameters))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)} for flow '{flow.name}'; "
            f"expected: {', '.join(signature.parameters) or '(none)'}"
        )


def validate_input(flow: Any, raw: dict[str, Any] | None) -> dict[str, Any]:
    """Execution input (plain JSON) -> validated parameters with defaults applied (Python values).

    Raises prefect's ParameterTypeError for values of the wrong type (as a Prefect run does),
    ParameterError for unknown names or input that is not a JSON object."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParameterError(f"execution input must be a JSON object of parameters, got {type(raw).__name__}")
    _check_names(flow, raw)
    missing = [
        name for name, p in inspect.signature(flow.fn).parameters.items()
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and name not in raw
    ]
    if missing:
        raise ParameterError(f"missing required parameter(s) {', '.join(missing)} for flow '{flow.name}'")
    validated = flow.validate_parameters(dict(raw))
    signature = inspect.signature(flow.fn)
    for name, p in signature.parameters.items():
        if name not in validated and p.default is not inspect.Parameter.empty:
            validated[name] = p.default
    return validated


def encode_parameters(values: dict[str, Any]) -> dict[str, Any]:
    return {name: encode(value) for name, value in values.items()}


def check_against_schema(schema: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """Problems with `raw` according to the embedded JSON schema (empty list when it is fine)."""
    import jsonschema

    problems: list[str] = []
    allowed = set(schema.get("properties", {}))
    problems += [f"unknown parameter '{k}'" for k in sorted(set(raw) - allowed)]
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(e.path)):
        where = ".".join(str(p) for p in error.path) or "(input)"
        problems.append(f"{where}: {error.message}")
    return problems
