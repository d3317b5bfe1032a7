"""SageMakerDeploy block: puts a registered anomaly model behind a SageMaker endpoint.

    deployer = SageMakerDeploy(image=URI, role_arn=ARN, bucket="models", aws_credentials=AwsCredentials(...))
    deployer.deploy("v0003", "recon-anomaly")   # artifact to S3, model, endpoint config, endpoint

The artifact (the version's registry directory as model.tar.gz) goes to
s3://<bucket>/recon-models/<version>/; then create_model and create_endpoint_config, named after the
endpoint and the version; then create_endpoint, or update_endpoint when the endpoint exists, so
the same call moves a running endpoint to a new champion. Credentials, region and an endpoint
override (a moto server in tests) come from prefect-aws AwsCredentials. AWS errors raise
DeployError naming the version, the endpoint and the cause.
"""

from __future__ import annotations

import io
import tarfile

from prefect.blocks.core import Block
from prefect_aws import AwsCredentials
from pydantic import Field


class DeployError(RuntimeError):
    pass


class SageMakerDeploy(Block):
    _block_type_name = "Recon SageMaker Deploy"

    image: str = Field(description="container image URI that runs `recon model serve`")
    role_arn: str = Field(description="SageMaker execution role ARN")
    bucket: str | None = Field(default=None, description="S3 bucket for the model artifact (none: no ModelDataUrl)")
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1)
    aws_credentials: AwsCredentials = Field(default_factory=AwsCredentials)

    def _client(self, service: str):
        creds = self.aws_credentials
        kw = {"region_name": creds.region_name or "us-east-1"}
        if creds.aws_client_parameters.endpoint_url:
            kw["endpoint_url"] = creds.aws_client_parameters.endpoint_url
        return creds.get_boto3_session().client(service, **kw)

    def deploy(self, version: str, endpoint_name: str, registry_dir: str | None = None) -> dict:
        from botocore.exceptions import BotoCoreError, ClientError

        from recon.anomaly import registry

        meta = registry.read_meta(version, registry_dir)
        model_name = f"{endpoint_name}-{version}"
        config_name = f"{endpoint_name}-{version}-config"
        env = {"RECON_MODEL_VERSION": version, "RECON_FEATURE_SCHEMA": meta["schema_hash"]}
        container = {"Image": self.image, "Environment": env}
        try:
            if self.bucket:
                key = f"recon-models/{version}/model.tar.gz"
                self._client("s3").put_object(Bucket=self.bucket, Key=key, Body=artifact(version, registry_dir))
                container["ModelDataUrl"] = f"s3://{self.bucket}/{key}"
            sm = self._client("sagemaker")
            model_arn = sm.create_model(ModelName=model_name, ExecutionRoleArn=self.role_arn,
                                        PrimaryContainer=container)["ModelArn"]
            config_arn = sm.create_endpoint_config(
                EndpointConfigName=config_name,
                ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model_name,
                                     "InitialInstanceCount": self.instance_count, "InstanceType": self.instance_type,
                                     "InitialVariantWeight": 1.0}],
            )["EndpointConfigArn"]
            existing = {e["EndpointName"] for e in sm.list_endpoints(NameContains=endpoint_name)["Endpoints"]}
            if endpoint_name in existing:
                endpoint_arn = sm.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)["EndpointArn"]
                action = "updated"
            else:
                endpoint_arn = sm.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)["EndpointArn"]
                action = "created"
            status = sm.describe_endpoint(EndpointName=endpoint_name)["EndpointStatus"]
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(f"deploying {version} to {endpoint_name} failed: {exc}") from exc
        return {"version": version, "endpoint": endpoint_arn, "action": action, "model": model_arn,
                "endpoint_config": config_arn, "status": status, "model_data": container.get("ModelDataUrl", "")}


def artifact(version: str, registry_dir: str | None = None) -> bytes:
    """The version's registry directory as model.tar.gz (unpacked to /opt/ml/model/<version>)."""
    from recon.anomaly.registry import registry_root

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(registry_root(registry_dir) / version, arcname=version)
    return buf.getvalue()
