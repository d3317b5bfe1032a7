"""Symbolic values: what a task call returns while a flow is being traced.

A Symbol stands for a value that only exists when the state machine runs: a task result, a flow
parameter, a Map item. It can be passed to other tasks, indexed with [key] and returned. Anything
that needs the concrete value at compile time (if, for, len, ==, arithmetic, f-strings, attribute
access) raises a CompileError naming the file, the line and the supported alternative.
"""

from __future__ import annotations

from typing import Any

from asl_export.errors import at_user_line

BRANCH_HINT = (
    "Python branching on a run-time value (task result or flow parameter) cannot be compiled; use "
    "asl_export.branch(condition, if_true=fn, if_false=fn) (a Choice state), "
    "or decide inside a task"
)
LOOP_HINT = (
    "Python iteration over a run-time value (task result or flow parameter) cannot be compiled; "
    "fan out with task.map(value) "
    "(a Map state), or loop inside a task"
)
COMPUTE_HINT = (
    "task results and flow parameters have no value at compile time; compute this inside a task "
    "(for `param or default`, give the parameter that default instead)"
)


class Symbol:
    """A value known only at run time. `key` names where it lives in the state data ("r.<id>",
    "p.<name>", "c.<name>", or a Map iteration's "item"); `node_id` is the producing step."""

    __slots__ = ("_key", "_node_id", "_path", "_label", "_future")

    def __init__(self, key: str, node_id: str | None, label: str, path: tuple = (), future: bool = False) -> None:
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_node_id", node_id)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_future", future)  # from .submit()/.map(): a future until .result()

    # --- what is supported ---------------------------------------------------------------
    def __getitem__(self, item: Any) -> Symbol:
        if isinstance(item, Symbol) or not isinstance(item, str | int) or isinstance(item, bool):
            raise at_user_line(f"indexing {self._label} with {item!r}: only constant str/int keys; {COMPUTE_HINT}")
        return Symbol(self._key, self._node_id, f"{self._label}[{item!r}]", self._path + (item,), self._future)

    def result(self, *args: Any, **kwargs: Any) -> Symbol:
        """PrefectFuture(List).result(): the value itself (resolved when the state machine runs)."""
        return Symbol(self._key, self._node_id, self._label, self._path)

    def wait(self, *args: Any, **kwargs: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"<symbolic {self._label}>"

    __hash__ = object.__hash__

    # --- what cannot be compiled ---------------------------------------------------------
    def __bool__(self) -> bool:
        raise at_user_line(
            f"{self._label} is used as a condition (if/while/and/or/not). {BRANCH_HINT} "
            "(for `param or default`, give the parameter that default instead)"
        )

    def __iter__(self):
        raise at_user_line(f"{self._label} is iterated (for/list()/unpacking/comprehension). {LOOP_HINT}")

    def __len__(self) -> int:
        raise at_user_line(f"len() of {self._label}: {COMPUTE_HINT}")

    def __contains__(self, item: Any) -> bool:
        raise at_user_line(f"`in` on {self._label}: {COMPUTE_HINT}. {BRANCH_HINT}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # library probes (hasattr(x, "_fields"), "__array__"): just absent
            raise AttributeError(name)
        raise at_user_line(f"attribute .{name} of {self._label}: {COMPUTE_HINT}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise at_user_line(f"setting .{name} on {self._label}: {COMPUTE_HINT}")

    def __setitem__(self, key: Any, value: Any) -> None:
        raise at_user_line(f"item assignment on {self._label}: {COMPUTE_HINT}")

    def __format__(self, spec: str) -> str:
        raise at_user_line(f"formatting {self._label} into a string (f-string/format): {COMPUTE_HINT}")

    def __str__(self) -> str:
        raise at_user_line(f"str() of {self._label}: {COMPUTE_HINT}")

    def __int__(self) -> int:
        raise at_user_line(f"int() of {self._label}: {COMPUTE_HINT}")

    def __float__(self) -> float:
        raise at_user_line(f"float() of {self._label}: {COMPUTE_HINT}")

    def __index__(self) -> int:
        raise at_user_line(f"{self._label} used as an index: {COMPUTE_HINT}")


def _refuse(op: str, hint: str):
    def method(self: Symbol, *args: Any) -> Any:
        raise at_user_line(f"{op} on {self._label}: {hint}")

    return method


for _name, _op, _hint in [
    ("__eq__", "== comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
    ("__ne__", "!= comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
    ("__lt__", "< comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
    ("__le__", "<= comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
    ("__gt__", "> comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
    ("__ge__", ">= comparison", f"{COMPUTE_HINT}. {BRANCH_HINT}"),
]:
    setattr(Symbol, _name, _refuse(_op, _hint))
for _name in ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "matmul",
              "lshift", "rshift"]:
    setattr(Symbol, f"__{_name}__", _refuse(f"operator __{_name}__", COMPUTE_HINT))
    setattr(Symbol, f"__r{_name}__", _refuse(f"operator __r{_name}__", COMPUTE_HINT))
for _name in ["neg", "pos", "abs", "invert", "round"]:
    setattr(Symbol, f"__{_name}__", _refuse(f"{_name}()", COMPUTE_HINT))


def symbol_key(sym: Symbol) -> str:
    return sym._key


def symbol_node(sym: Symbol) -> str | None:
    return sym._node_id


def symbol_path(sym: Symbol) -> tuple:
    return sym._path


def is_future(sym: Symbol) -> bool:
    return sym._future
