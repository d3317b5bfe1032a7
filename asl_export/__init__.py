"""asl_export: compile Prefect flows into Amazon States Language and run them the same way.

Knows Prefect and ASL, nothing about any particular flow. See README.md (for maintainers) and
docs/asl-export.md (for flow authors).
"""

from __future__ import annotations

from typing import Any

from asl_export.branch import branch
from asl_export.compiler import StateMachine, compile_flow
from asl_export.errors import CompileError

__all__ = ["CompileError", "StateMachine", "branch", "compile_flow", "run_local"]


def run_local(flow: Any, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Compile `flow` and run it on moto's ASL interpreter (see asl_export.local.run_local)."""
    from asl_export.local import run_local as _run_local

    return _run_local(flow, parameters, **kwargs)
