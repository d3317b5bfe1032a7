"""The tagged encoding: what a task returns decodes to an equal value on the other side."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asl_export.claimcheck import ClaimCheck, PayloadTooLarge
from asl_export.codec import EncodingError, decode, encode
from asl_export.runtime import emit_result
from tests.asl.asl_values import Fill, Lot, Side

scalars = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.dates() | st.datetimes() | st.uuids() | st.binary(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    | st.dictionaries(st.integers(), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(values)
def test_roundtrip_through_json(value):
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_tagged_types_roundtrip():
    value = {
        "lot": Lot(Decimal("100.50"), Side.SELL), "fill": Fill(exec_id="E1", price=Decimal("10.0100")),
        "when": dt.time(9, 30), "span": dt.timedelta(days=1, seconds=5, microseconds=7),
        "ids": {uuid.UUID(int=1)}, "frozen": frozenset({1, 2}), "$weird": 1, "a.$": 2,
    }
    decoded = decode(json.loads(json.dumps(encode(value))))
    assert decoded == value and type(decoded["lot"]) is Lot and decoded["fill"].price == Decimal("10.0100")


def test_unencodable_values_raise_clear_errors():
    with pytest.raises(EncodingError, match="return plain data.*or a reference"):
        encode(object())
    with pytest.raises(EncodingError, match="not valid JSON"):
        encode(float("nan"))


def test_templates_resolve_symbols_paths_and_map_index():
    payload = {"$template": {"a": {"$sym": "x", "path": ["k", 1]}, "b": {"$sym": "m", "path": [{"$sym": "index"}]},
                             "t": {"$tuple": [{"$sym": "x"}]}},
               "symbols": {"x": {"k": [0, {"$decimal": "2.5"}]}, "m": ["p", "q"], "index": 1}}
    assert decode(payload) == {"a": Decimal("2.5"), "b": "q", "t": ({"k": [0, Decimal("2.5")]},)}


class MemoryStore(ClaimCheck):
    def __init__(self):
        super().__init__("bucket")
        self.objects = {}

    def put(self, encoded_json, execution, state):
        key = f"{execution}/{state}/{len(self.objects)}.json"
        self.objects[key] = encoded_json
        return self.bucket, key

    def load(self, uri):
        return json.loads(self.objects[uri.split("/", 3)[3]])


def test_claim_check_above_the_inline_limit():
    store = MemoryStore()
    small = emit_result([1, 2], {"state": "s", "inline_limit": 100}, store, "ex")
    big = emit_result(["x" * 50] * 10, {"state": "s", "inline_limit": 100}, store, "ex")
    assert small == [1, 2] and set(big) == {"$ref"} and decode(big, store.load) == ["x" * 50] * 10
    with pytest.raises(PayloadTooLarge, match="asl:distributed"):
        emit_result(["x" * 50] * 10, {"state": "s", "inline_limit": 100, "items": True}, store, "ex")
    with pytest.raises(TypeError, match="must return a list"):
        emit_result({"a": 1}, {"state": "s", "items": True}, store, "ex")


def module_level_step(x: int) -> int:
    return x + 1


def test_module_level_callables_travel_by_name_and_others_do_not():
    from tests.asl.flows_basic import add, sequence_flow  # a Prefect task and flow, module level

    assert encode(module_level_step) == {"$callable": f"{module_level_step.__module__}:module_level_step"}
    assert decode(json.loads(json.dumps(encode([module_level_step, add, sequence_flow])))) == [module_level_step, add, sequence_flow]

    def local(x):
        return x

    for value in (local, lambda x: x, str.upper):
        with pytest.raises(EncodingError):
            encode(value)
