"""The Step Functions block the stream Lambda runs its batch machine with: configured from the
Lambda's environment, endpoint and region through prefect-aws AwsCredentials."""

from __future__ import annotations

import pytest

from blocks.step_functions import StepFunctions


def test_from_environment_names_the_machine_and_the_endpoint():
    arn = "arn:aws:states:eu-west-2:123456789012:stateMachine:batch"
    block = StepFunctions.from_environment({"RECON_STREAM_STATE_MACHINE_ARN": arn, "ASL_SFN_ENDPOINT": "http://127.0.0.1:5999"})
    assert block.state_machine_arn == arn
    client = block.client()
    assert client.meta.endpoint_url == "http://127.0.0.1:5999" and client.meta.region_name == "eu-west-2"
    lambda_env = {"RECON_STREAM_STATE_MACHINE_ARN": arn, "AWS_REGION": "us-east-1"}
    assert StepFunctions.from_environment(lambda_env).client().meta.region_name == "us-east-1"


def test_a_missing_state_machine_is_a_clear_error():
    with pytest.raises(ValueError, match="RECON_STREAM_STATE_MACHINE_ARN is not set"):
        StepFunctions.from_environment({})
    with pytest.raises(ValueError, match="no state_machine_arn"):
        StepFunctions().start_sync({"batch": []})
