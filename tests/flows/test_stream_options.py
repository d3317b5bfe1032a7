"""The long-running stream flow takes one typed parameter, StreamOptions, and still compiles to ASL:
the per-batch flow it hands the consuming task travels by name, and bad options are refused by name."""

from __future__ import annotations

import pytest
from prefect.exceptions import ParameterTypeError
from pydantic import ValidationError

from asl_export import compile_flow
from asl_export.params import check_against_schema, validate_input
from flows.stream import reconcile_stream_batch, stream_reconciliation
from recon.config import ConfigError, validate
from tasks.stream_options import StreamOptions


def test_options_refuse_unknown_and_out_of_range_settings_by_name():
    with pytest.raises(ConfigError, match=r"stream options: batch_sise: Extra inputs are not permitted"):
        validate(StreamOptions, {"batch_sise": 10}, "stream options")
    with pytest.raises(ConfigError, match=r"batch_size: Input should be greater than or equal to 1"):
        validate(StreamOptions, {"batch_size": 0}, "stream options")
    with pytest.raises(ValidationError, match="give stream_ref or replay_files, not both"):
        StreamOptions(stream_ref="kinesis-prod", replay_files=["a.fix"])


def test_the_stream_flow_compiles_with_its_per_batch_flow_passed_by_name():
    machine = compile_flow(stream_reconciliation)
    consume = next(s for s in machine.definition["States"].values() if "stream-consume" in str(s.get("Comment", "")) or
                   "stream-consume" in str(s.get("Parameters", {})))  # fmt: skip
    assert {"$callable": "flows.stream:reconcile_stream_batch"} in _values(consume["Parameters"])
    schema = machine.schema
    assert check_against_schema(schema, {"options": {"replay_files": ["a.fix"], "batch_size": 100}}) == []
    assert check_against_schema(schema, {"options": {"batch_sise": 100}})
    validated = validate_input(stream_reconciliation, {"options": {"replay_files": ["a.fix"], "window_seconds": 0}})
    assert validated["options"] == StreamOptions(replay_files=["a.fix"], window_seconds=0)
    with pytest.raises((ParameterTypeError, ValueError)):
        validate_input(stream_reconciliation, {"options": {"batch_size": "many"}})
    assert reconcile_stream_batch.name == "reconcile-stream-batch"


def _values(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v)
