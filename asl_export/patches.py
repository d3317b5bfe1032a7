"""While a Tracer is active (a contextvar, so other threads run normally), prefect's
Task.__call__/submit/map and Flow.__call__ record steps instead of running, and open()/socket
connects raise a CompileError (best effort: C extensions and os.open are not seen)."""

from __future__ import annotations

import builtins
import contextlib
import io
import socket
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from prefect import Flow, Task

from asl_export.errors import at_user_line

ACTIVE: ContextVar[Any] = ContextVar("asl_export_tracer", default=None)
IO_HINT = "the flow body must not do I/O (it is compiled, not run); move this into a task"

_lock = threading.Lock()
_depth = 0
_saved: dict[str, Any] = {}


def _wrap_task_call(original: Callable) -> Callable:
    def __call__(self: Task, *args: Any, **kwargs: Any) -> Any:
        tracer = ACTIVE.get()
        return tracer.call_task(self, args, kwargs, False) if tracer else original(self, *args, **kwargs)

    return __call__


def _wrap_submit(original: Callable) -> Callable:
    def submit(self: Task, *args: Any, **kwargs: Any) -> Any:
        tracer = ACTIVE.get()
        return tracer.call_task(self, args, kwargs, True) if tracer else original(self, *args, **kwargs)

    return submit


def _wrap_map(original: Callable) -> Callable:
    def map(self: Task, *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - mirrors Task.map
        tracer = ACTIVE.get()
        return tracer.map_task(self, args, kwargs) if tracer else original(self, *args, **kwargs)

    return map


def _wrap_flow_call(original: Callable) -> Callable:
    def __call__(self: Flow, *args: Any, **kwargs: Any) -> Any:
        tracer = ACTIVE.get()
        return tracer.call_subflow(self, args, kwargs) if tracer else original(self, *args, **kwargs)

    return __call__


def _guard_io(original: Callable, what: str) -> Callable:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if ACTIVE.get() is not None:
            raise at_user_line(f"{what} in the flow body: {IO_HINT}")
        return original(*args, **kwargs)

    return guarded


_TARGETS: list[tuple[Any, str, Callable[[Callable], Callable]]] = [
    (Task, "__call__", _wrap_task_call),
    (Task, "submit", _wrap_submit),
    (Task, "map", _wrap_map),
    (Flow, "__call__", _wrap_flow_call),
    (builtins, "open", lambda f: _guard_io(f, "open()")),
    (io, "open", lambda f: _guard_io(f, "io.open()")),
    (socket.socket, "connect", lambda f: _guard_io(f, "a network connection")),
    (socket, "create_connection", lambda f: _guard_io(f, "a network connection")),
]


@contextlib.contextmanager
def patched() -> Iterator[None]:
    global _depth
    with _lock:
        if _depth == 0:
            for owner, attr, wrap in _TARGETS:
                own = attr in vars(owner)
                original = vars(owner)[attr] if own else getattr(owner, attr)
                _saved[f"{id(owner)}.{attr}"] = (own, original)
                setattr(owner, attr, wrap(getattr(owner, attr)))
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for owner, attr, _ in _TARGETS:
                    own, original = _saved.pop(f"{id(owner)}.{attr}")
                    if own:
                        setattr(owner, attr, original)
                    else:
                        delattr(owner, attr)
