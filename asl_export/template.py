"""CloudFormation for a compiled flow: state machine, runtime Lambda, roles, schedules.

Least privilege: the Lambda role may read/write only the claim-check prefix and write its logs;
the state machine role may invoke only the runtime function, read the claim-check prefix
(Distributed Map ItemReader), start its own child executions (Distributed Map only) and run the
given ECS task definition (ECS tasks only, with iam:PassRole limited to that task's roles).
The definition is embedded with DefinitionSubstitutions: ${RuntimeFunctionArn}.
"""

from __future__ import annotations

import json
import re
from typing import Any

from asl_export.compiler import StateMachine
from asl_export.schedule import Schedule

FUNCTION_TOKEN = "${RuntimeFunctionArn}"
LAMBDA_MAX_TIMEOUT = 900


def _logical(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name.title()) or "X"


def _states_machine_arn(name_ref: Any) -> dict[str, Any]:
    return {"Fn::Sub": ["arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${Name}",
                        {"Name": name_ref}]}


def build_template(machine: StateMachine, schedules: list[Schedule] | None = None,
                   machine_name: str | None = None, memory_mb: int = 1024) -> dict[str, Any]:
    name = machine_name or re.sub(r"[^A-Za-z0-9-_]", "-", machine.flow.name)[:80]
    definition = machine.with_function(FUNCTION_TOKEN, ecs=_ecs_refs() if machine.uses_ecs else None)
    timeouts = [t.timeout_seconds for t in machine.tasks if t.timeout_seconds and not t.ecs]
    lambda_timeout = min(LAMBDA_MAX_TIMEOUT, max(timeouts, default=LAMBDA_MAX_TIMEOUT))
    claim_prefix_arn = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ClaimCheckBucket}/${ClaimCheckPrefix}*"}
    parameters: dict[str, Any] = {
        "CodeBucket": {"Type": "String", "Description": "S3 bucket of the runtime package (zip)"},
        "CodeKey": {"Type": "String", "Description": "S3 key of the runtime package (zip)"},
        "ClaimCheckBucket": {"Type": "String", "Description": "Bucket for results too large for a state"},
        "ClaimCheckPrefix": {"Type": "String", "Default": "asl-claim-check/"},
    }
    resources: dict[str, Any] = {
        "RuntimeRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": _trust("lambda.amazonaws.com"),
                "ManagedPolicyArns": [
                    {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}],
                "Policies": [{"PolicyName": "claim-check", "PolicyDocument": _policy([
                    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": claim_prefix_arn},
                ])}],
            },
        },
        "RuntimeFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Description": f"asl_export runtime for flow '{machine.flow.name}'",
                "Runtime": "python3.11",
                "Handler": "asl_export.runtime.handler",
                "Code": {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}},
                "Role": {"Fn::GetAtt": ["RuntimeRole", "Arn"]},
                "Timeout": lambda_timeout,
                "MemorySize": memory_mb,
                "Environment": {"Variables": {
                    "ASL_CLAIM_CHECK_BUCKET": {"Ref": "ClaimCheckBucket"},
                    "ASL_CLAIM_CHECK_PREFIX": {"Ref": "ClaimCheckPrefix"},
                }},
            },
        },
    }
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [
            {"Fn::GetAtt": ["RuntimeFunction", "Arn"]}, {"Fn::Sub": "${RuntimeFunction.Arn}:*"}]},
    ]
    if machine.uses_distributed_map or machine.uses_ecs:
        statements.append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": claim_prefix_arn})
    if machine.uses_distributed_map:
        own = _states_machine_arn(name)
        statements.append({"Effect": "Allow", "Action": "states:StartExecution", "Resource": own})
        statements.append({"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"],
                           "Resource": {"Fn::Sub": ["arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
                                                    ":execution:${Name}/*", {"Name": name}]}})
    if machine.uses_ecs:
        parameters.update(_ecs_parameters())
        statements += _ecs_statements()
    resources["StateMachineRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": _trust("states.amazonaws.com"),
                       "Policies": [{"PolicyName": "run-flow", "PolicyDocument": _policy(statements)}]},
    }
    resources["StateMachine"] = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": name,
            "StateMachineType": machine.machine_type,
            "RoleArn": {"Fn::GetAtt": ["StateMachineRole", "Arn"]},
            "Definition": definition,
            "DefinitionSubstitutions": {"RuntimeFunctionArn": {"Fn::GetAtt": ["RuntimeFunction", "Arn"]},
                                        **(ECS_SUBSTITUTIONS if machine.uses_ecs else {})},
        },
    }
    if schedules:
        resources["SchedulerRole"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": _trust("scheduler.amazonaws.com"),
                           "Policies": [{"PolicyName": "start-flow", "PolicyDocument": _policy([
                               {"Effect": "Allow", "Action": "states:StartExecution", "Resource": {"Ref": "StateMachine"}},
                           ])}]},
        }
        for sched in schedules:
            resources[f"Schedule{_logical(sched.deployment)}"] = {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Description": f"prefect.yaml deployment '{sched.deployment}': {sched.cron} ({sched.timezone})",
                    "ScheduleExpression": sched.expression,
                    "ScheduleExpressionTimezone": sched.timezone,
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {"Arn": {"Ref": "StateMachine"}, "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                               "Input": json.dumps(sched.parameters)},
                },
            }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"Step Functions deployment of Prefect flow '{machine.flow.name}' ({machine.flow_ref})",
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": {
            "StateMachineArn": {"Value": {"Ref": "StateMachine"}},
            "RuntimeFunctionArn": {"Value": {"Fn::GetAtt": ["RuntimeFunction", "Arn"]}},
        },
    }


def _trust(service: str) -> dict[str, Any]:
    return _policy([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def _policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


# DefinitionSubstitutions tokens; named unlike template parameters so cfn-lint does not read
# them as Fn::Sub references.
ECS_SUBSTITUTIONS = {
    "SubstEcsCluster": {"Ref": "EcsClusterArn"}, "SubstEcsTaskDefinition": {"Ref": "EcsTaskDefinitionArn"},
    "SubstClaimCheckBucket": {"Ref": "ClaimCheckBucket"}, "SubstClaimCheckPrefix": {"Ref": "ClaimCheckPrefix"},
}


def _ecs_refs() -> dict[str, Any]:
    return {"cluster": "${SubstEcsCluster}", "task_definition": "${SubstEcsTaskDefinition}",
            "bucket": "${SubstClaimCheckBucket}", "prefix": "${SubstClaimCheckPrefix}"}


def _ecs_parameters() -> dict[str, Any]:
    return {
        "EcsClusterArn": {"Type": "String"},
        "EcsTaskDefinitionArn": {"Type": "String", "Description": "task definition running the runtime image"},
        "EcsTaskRoleArn": {"Type": "String"},
        "EcsExecutionRoleArn": {"Type": "String"},
    }


def _ecs_statements() -> list[dict[str, Any]]:
    return [
        {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": {"Ref": "EcsTaskDefinitionArn"}},
        {"Effect": "Allow", "Action": ["ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*",
         "Condition": {"ArnEquals": {"ecs:cluster": {"Ref": "EcsClusterArn"}}}},
        {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"
                                 "StepFunctionsGetEventsForECSTaskRule"}},
        {"Effect": "Allow", "Action": "iam:PassRole",
         "Resource": [{"Ref": "EcsTaskRoleArn"}, {"Ref": "EcsExecutionRoleArn"}]},
    ]
