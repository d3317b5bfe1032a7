"""Deploy a registered anomaly model to SageMaker: artifact to S3, model, endpoint config, endpoint."""

from __future__ import annotations

import io
import tarfile


class DeployError(RuntimeError):
    pass


def deploy_model(version: str, endpoint_name: str, image: str, role_arn: str, *, bucket: str | None = None,
                 instance_type: str = "ml.m5.large", instance_count: int = 1, region: str = "us-east-1",
                 endpoint_url: str | None = None, registry_dir: str | None = None) -> dict:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from recon.anomaly import registry

    meta = registry.read_meta(version, registry_dir)
    kw = {"region_name": region, **({"endpoint_url": endpoint_url} if endpoint_url else {})}
    model_name = f"{endpoint_name}-{version}"
    env = {"RECON_MODEL_VERSION": version, "RECON_FEATURE_SCHEMA": meta["schema_hash"]}
    container = {"Image": image, "Environment": env}
    try:
        if bucket:
            key = f"recon-models/{version}/model.tar.gz"
            boto3.client("s3", **kw).put_object(Bucket=bucket, Key=key, Body=_artifact(version, registry_dir))
            container["ModelDataUrl"] = f"s3://{bucket}/{key}"
        sm = boto3.client("sagemaker", **kw)
        model_arn = sm.create_model(ModelName=model_name, ExecutionRoleArn=role_arn, PrimaryContainer=container)["ModelArn"]
        config_name = f"{endpoint_name}-{version}-config"
        config_arn = sm.create_endpoint_config(
            EndpointConfigName=config_name,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model_name, "InitialInstanceCount": instance_count,
                                 "InstanceType": instance_type, "InitialVariantWeight": 1.0}],
        )["EndpointConfigArn"]
        endpoint_arn = sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)["EndpointArn"]
        status = sm.describe_endpoint(EndpointName=endpoint_name)["EndpointStatus"]
    except (ClientError, BotoCoreError) as exc:
        raise DeployError(f"deploying {version} to {endpoint_name} failed: {exc}") from exc
    return {"version": version, "model": model_arn, "endpoint_config": config_arn, "endpoint": endpoint_arn,
            "status": status, "model_data": container.get("ModelDataUrl", "")}


def _artifact(version: str, registry_dir: str | None) -> bytes:
    from recon.anomaly.registry import registry_root

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(registry_root(registry_dir) / version, arcname=version)
    return buf.getvalue()
