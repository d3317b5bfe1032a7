"""The Step Functions block: run a deployed state machine synchronously (AWS Step Functions).

Production's real-time trigger (tasks/stream_lambda.py) runs the EXPRESS machine compiled from
flows/stream.py:reconcile_stream_batch once per Kinesis batch:

    StepFunctions.from_environment(os.environ).start_sync({"batch": [...], "stream": "dropcopy"})

Credentials and the endpoint come from prefect-aws AwsCredentials (SecretStr secret key; in a
Lambda, the function's role through the default chain); nothing here logs them. No embedded
default: without a state machine there is nothing to run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from prefect.blocks.core import Block
from prefect_aws import AwsCredentials
from pydantic import Field

STATE_MACHINE_ENV = "RECON_STREAM_STATE_MACHINE_ARN"
ENDPOINT_ENV = "ASL_SFN_ENDPOINT"  # a local Step Functions stand-in (as `recon asl` uses)


class ExecutionFailed(RuntimeError):
    """The execution ended in another status than SUCCEEDED; the text carries its error and cause."""


class StepFunctions(Block):
    """A state machine to run: its ARN and the credentials to call Step Functions with."""

    _block_type_name = "Recon Step Functions"
    state_machine_arn: str | None = Field(default=None, description="the machine StartSyncExecution runs")
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="prefect-aws credentials; the endpoint via aws_client_parameters.endpoint_url",
    )

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> StepFunctions:
        """The Lambda's configuration: RECON_STREAM_STATE_MACHINE_ARN, the region Lambda sets
        (AWS_REGION) and optionally ASL_SFN_ENDPOINT; credentials from the default chain (the role)."""
        arn = env.get(STATE_MACHINE_ENV)
        if not arn:
            raise ValueError(f"{STATE_MACHINE_ENV} is not set: the ARN of the stream batch state machine")
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or arn.split(":")[3] or None
        params = {"endpoint_url": env[ENDPOINT_ENV]} if env.get(ENDPOINT_ENV) else {}
        creds = AwsCredentials(region_name=region, aws_client_parameters=params)
        return cls(state_machine_arn=arn, aws_credentials=creds)

    def client(self):
        return self.aws_credentials.get_client("stepfunctions")

    def start_sync(self, execution_input: dict) -> dict:
        """StartSyncExecution (EXPRESS machines); -> the execution's output. Raises ExecutionFailed
        unless it succeeded, so a caller that retries (Lambda) retries the whole input."""
        if not self.state_machine_arn:
            raise ValueError("StepFunctions block has no state_machine_arn")
        response = self.client().start_sync_execution(
            stateMachineArn=self.state_machine_arn, input=json.dumps(execution_input)
        )
        if response["status"] != "SUCCEEDED":
            raise ExecutionFailed(
                f"execution {response['status']}: {response.get('error')}: {response.get('cause')}"
            )
        return json.loads(response["output"])
