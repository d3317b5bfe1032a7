"""Fixtures for the asl_export tests: one moto Step Functions stand-in per test module.

mock_aws patches botocore process-wide, so it is started per module (never for the session) to
keep it away from other areas' tests that talk to real local servers.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="module")
def local_sfn():
    from asl_export.local import LocalStepFunctions

    with LocalStepFunctions(sleep=lambda seconds: None) as sfn:
        yield sfn


@pytest.fixture(scope="module")
def prefect_run(prefect_harness):
    """Run a flow with Prefect (on the session's test server) and return its result."""

    def run(flow, parameters):
        return flow(**parameters)

    return run
