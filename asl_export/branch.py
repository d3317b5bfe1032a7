"""branch(): the one supported way to choose on a task result. Plain Python under Prefect, a Choice
state when compiled.

    from asl_export import branch
    total = branch(has_breaks, if_true=publish_breaks, if_false=skip, breaks)  # extra args -> both sides

`condition` must be a bool (a task result, a flow parameter, or a constant); anything else raises
TypeError under Prefect and fails the execution with error TypeError in Step Functions.
`if_true`/`if_false` are callables (usually small functions calling tasks); each is called with
*args/**kwargs and its return value is the branch's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asl_export.symbols import Symbol
from asl_export.trace import active_tracer


def branch(condition: Any, if_true: Callable[..., Any], if_false: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    tracer = active_tracer()
    if tracer is not None and isinstance(condition, Symbol):
        return tracer.branch(condition, if_true, if_false, args, kwargs)
    if hasattr(condition, "result") and callable(condition.result) and not isinstance(condition, bool):
        condition = condition.result()  # a PrefectFuture from .submit()
    if not isinstance(condition, bool):
        raise TypeError(f"branch condition must be a bool, got {type(condition).__name__}")
    return if_true(*args, **kwargs) if condition else if_false(*args, **kwargs)
