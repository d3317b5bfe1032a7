"""Tagged JSON encoding: task inputs and results cross state boundaries as JSON.

Plain JSON values (str, int, float, bool, None, lists, dicts with str keys) travel unchanged so the
state stays readable in the Step Functions console. Everything else gets a one-key tag, so that a
value decoded on the other side is == to the value the task returned under Prefect:

    {"$decimal": "1.10"}  {"$date": "2026-11-27"}  {"$datetime": "...isoformat..."}  {"$time": ...}
    {"$timedelta": [days, seconds, microseconds]}  {"$uuid": "..."}  {"$bytes": base64}  {"$tuple": [...]}
    {"$set": [...]}  {"$frozenset": [...]}  {"$dict": [[k, v], ...]} (non-str or "$"-prefixed keys)
    {"$enum": "module:Qualname", "value": v}
    {"$dataclass": "module:Qualname", "fields": {...}}
    {"$pydantic": "module:Qualname", "data": {...}}  (model_dump(mode="python"), re-validated)
    {"$callable": "module:qualname"}  a module-level function, flow or task, by name (e.g. a flow
        handing a task the flow it runs per item); only when that name imports the same object
    {"$ref": "s3://bucket/key"}  a claim check: the encoded value lives in S3 (see runtime.py)

Anything else (DataFrames, open files, arbitrary objects) raises EncodingError: a state must carry
small JSON; return a reference (a table name, an S3 key) from the task instead.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import importlib
import math
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

TAGS = (
    "$decimal", "$date", "$datetime", "$time", "$timedelta", "$uuid", "$bytes", "$tuple", "$set",
    "$frozenset", "$dict", "$enum", "$dataclass", "$pydantic", "$callable", "$ref", "$template", "$sym",
)


class EncodingError(TypeError):
    """A value cannot travel between states as JSON."""


def qualified_name(obj: Any) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def import_qualified(ref: str) -> Any:
    """Import `module:qual.name` and return the object."""
    module_name, _, qualname = ref.partition(":")
    if not qualname:
        raise ValueError(f"reference {ref!r} is not of the form 'module:qualname'")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def encode(value: Any) -> Any:
    """Python value -> JSON-compatible value with tags for non-JSON types."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": qualified_name(type(value)), "value": encode(value.value)}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EncodingError(f"float {value!r} is not valid JSON; use Decimal or None")
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"$frozenset": [encode(v) for v in _ordered(value)]}
    if isinstance(value, set):
        return {"$set": [encode(v) for v in _ordered(value)]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") and not k.endswith(".$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": qualified_name(type(value)), "fields": fields}
    if hasattr(value, "model_dump") and hasattr(type(value), "model_validate"):
        return {"$pydantic": qualified_name(type(value)), "data": encode(value.model_dump(mode="python"))}
    ref = _callable_ref(value)
    if ref is not None:
        return {"$callable": ref}
    raise EncodingError(
        f"cannot encode {type(value).__module__}.{type(value).__qualname__} as JSON for a state; "
        "return plain data, a dataclass/pydantic model, or a reference (table name, S3 key) instead"
    )


def _callable_ref(value: Any) -> str | None:
    """`module:qualname` of a module-level function (or of a Prefect flow/task's function, named
    by its module attribute), when importing that name gives back this very object."""
    if not callable(value) or isinstance(value, type):
        return None
    fn = getattr(value, "fn", value)
    module, name = getattr(fn, "__module__", None), getattr(fn, "__name__", None)
    if not module or not name or "<" in getattr(fn, "__qualname__", "<"):
        return None
    ref = f"{module}:{name}"
    try:
        return ref if import_qualified(ref) is value else None
    except (ImportError, AttributeError, ValueError):
        return None


def _ordered(items: set | frozenset) -> list:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


Loader = Callable[[str], Any]


def decode(value: Any, load_ref: Loader | None = None) -> Any:
    """Inverse of encode. `load_ref(uri)` fetches the encoded value behind a {"$ref": uri} claim check.

    {"$template": t, "symbols": {key: encoded}} (built by the compiler) decodes to t with each
    {"$sym": key, "path": [...]} placeholder replaced by the decoded symbol value, then indexed by path
    (a path step may itself be a placeholder, e.g. the Map iteration index).
    """
    return _Decoder(load_ref, {}).run(value)


class _Decoder:
    def __init__(self, load_ref: Loader | None, symbols: dict[str, Any]) -> None:
        self.load_ref = load_ref
        self.symbols = symbols
        self.cache: dict[str, Any] = {}

    def run(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.run(v) for v in value]
        if not isinstance(value, dict):
            return value
        tag = next(iter(value)) if len(value) in (1, 2, 3) and next(iter(value)) in TAGS else None
        if tag is None:
            return {k: self.run(v) for k, v in value.items()}
        return self.tagged(tag, value[tag], value)

    def symbol(self, key: str) -> Any:
        if key not in self.cache:
            if key not in self.symbols:
                raise EncodingError(f"template refers to unknown symbol {key!r}")
            self.cache[key] = _Decoder(self.load_ref, {}).run(self.symbols[key])
        return self.cache[key]

    def tagged(self, tag: str, body: Any, value: dict) -> Any:  # noqa: C901 - one branch per tag
        run = self.run
        if tag == "$template":
            return _Decoder(self.load_ref, value.get("symbols") or {}).run(body)
        if tag == "$sym":
            result = self.symbol(body)
            for step in value.get("path", []):
                result = result[run(step)]
            return result
        if tag == "$ref":
            if self.load_ref is None:
                raise EncodingError(f"value is a claim check {body!r} but no loader was given")
            return _Decoder(self.load_ref, {}).run(self.load_ref(body))
        if tag == "$decimal":
            return Decimal(body)
        if tag == "$date":
            return dt.date.fromisoformat(body)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(body)
        if tag == "$time":
            return dt.time.fromisoformat(body)
        if tag == "$timedelta":
            return dt.timedelta(days=body[0], seconds=body[1], microseconds=body[2])
        if tag == "$uuid":
            return uuid.UUID(body)
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$tuple":
            return tuple(run(v) for v in body)
        if tag == "$set":
            return {run(v) for v in body}
        if tag == "$frozenset":
            return frozenset(run(v) for v in body)
        if tag == "$dict":
            return {run(k): run(v) for k, v in body}
        if tag == "$enum":
            return import_qualified(body)(run(value["value"]))
        if tag == "$dataclass":
            return import_qualified(body)(**{k: run(v) for k, v in value["fields"].items()})
        if tag == "$callable":
            return import_qualified(body)
        return import_qualified(body).model_validate(run(value["data"]))  # $pydantic
