"""AnomalyModel block: where anomaly scores come from.

backend "local" (the embedded default): a PyOD model from the registry (RECON_HOME/models), in
process: the champion (models/champion.json) when its feature schema matches the code, else the
newest version that does. backend "sagemaker": boto3 sagemaker-runtime invoke_endpoint on an
endpoint serving the same model (recon/anomaly/serve.py is the container), in batches, with
retries; credentials, region and endpoint override come from prefect-aws AwsCredentials
(aws_client_parameters.endpoint_url points boto3 at a local server). If the endpoint fails (5xx after retries, timeout, ModelError), the block
falls back to the local copy of the model (on_endpoint_failure="local") and says so, or raises
AnomalyEndpointError (on_endpoint_failure="fail"). Scores are never silently dropped: every row
comes back scored, or the call fails.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
from prefect.blocks.core import Block
from prefect_aws import AwsCredentials
from pydantic import Field

from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR, Scores, ScoringModel


class AnomalyEndpointError(RuntimeError):
    """The SageMaker endpoint could not score the rows (and fallback was not allowed or possible)."""


class AnomalyModel(Block):
    _block_type_name = "Recon Anomaly Model"

    backend: Literal["local", "sagemaker"] = "local"
    model_version: str = Field(default="champion", description="registry version (v0001...), 'champion' or 'latest'")
    registry_dir: str | None = Field(default=None, description="default RECON_HOME/models")
    detector: str = Field(default=DEFAULT_DETECTOR, description="detector fitted on the day when no model is registered")
    contamination: float = DEFAULT_CONTAMINATION
    endpoint_name: str | None = None
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="prefect-aws credentials; a local endpoint (recon model serve) via aws_client_parameters.endpoint_url",
    )
    batch_size: int = Field(default=2000, ge=1, le=20000, description="rows per invoke_endpoint call")
    max_attempts: int = Field(default=3, ge=1, le=10, description="boto3 attempts per batch (5xx, throttling, timeouts)")
    timeout_seconds: float = Field(default=10.0, gt=0)
    on_endpoint_failure: Literal["local", "fail"] = "local"
    drift_threshold: float = Field(default=0.25, gt=0, description="PSI above which the model has drifted (one P2 incident a day)")

    @classmethod
    def endpoint(cls, endpoint_name: str, endpoint_url: str | None = None, region: str = "us-east-1",
                 **kwargs) -> AnomalyModel:
        """A sagemaker-backed block (endpoint_url: a local server, with the usual dummy credentials)."""
        params = {"endpoint_url": endpoint_url} if endpoint_url else {}
        creds = AwsCredentials(aws_access_key_id="test" if endpoint_url else None,
                               aws_secret_access_key="test" if endpoint_url else None,
                               region_name=region, aws_client_parameters=params)
        return cls(backend="sagemaker", endpoint_name=endpoint_name, aws_credentials=creds, **kwargs)

    # ---- the model --------------------------------------------------------------------------
    def registered_model(self) -> ScoringModel | None:
        """The registered model to use, or None when none matches the running feature schema.

        'champion' is the promoted version (or the newest matching one before any promotion);
        a named version whose schema does not match raises SchemaMismatch, never a silent swap.
        """
        from recon.anomaly import registry

        version = registry.resolve_for_scoring(self.model_version, self.registry_dir)
        return None if version is None else registry.load(version, self.registry_dir)

    def scoring_model(self) -> tuple[ScoringModel | None, str | None]:
        """The model to score with, and why the configured one was refused (None if it was not).

        A model trained on another feature schema (or a version that is not in the registry) is
        refused with a message and the champion for this schema is used instead (else the caller
        fits one on the day): the run goes on and no break is lost."""
        from recon.anomaly import registry

        try:
            return self.registered_model(), None
        except (registry.SchemaMismatch, registry.ModelNotFound) as exc:
            fallback = registry.resolve_for_scoring("champion", self.registry_dir)
            note = (f"model {self.model_version} refused: {exc}; scored with "
                    + (f"{fallback} instead" if fallback else "a model fitted on the day"))
            return (registry.load(fallback, self.registry_dir) if fallback else None), note

    # ---- scoring ----------------------------------------------------------------------------
    def score(self, X: np.ndarray, model: ScoringModel) -> tuple[Scores, dict]:
        """Score feature rows; `model` is the local copy (used directly, or as the fallback)."""
        X = np.asarray(X, dtype=np.float64)
        model.check(X)
        if self.backend == "local" or len(X) == 0:
            return model.score(X), {"backend": "local"}
        try:
            return self._score_endpoint(X), {"backend": "sagemaker", "endpoint": self.endpoint_name}
        except AnomalyEndpointError as exc:
            if self.on_endpoint_failure == "fail":
                raise
            return model.score(X), {"backend": "local", "fallback": str(exc)}

    def _client(self):
        from botocore.config import Config

        creds = self.aws_credentials
        cfg = Config(
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
        )
        kw = {"region_name": creds.region_name or "us-east-1", "config": cfg}
        if creds.aws_client_parameters.endpoint_url:
            kw["endpoint_url"] = creds.aws_client_parameters.endpoint_url
        return creds.get_boto3_session().client("sagemaker-runtime", **kw)

    def _score_endpoint(self, X: np.ndarray) -> Scores:
        from botocore.exceptions import BotoCoreError, ClientError

        if not self.endpoint_name:
            raise AnomalyEndpointError("backend 'sagemaker' needs endpoint_name")
        client = self._client()
        parts = []
        for start in range(0, len(X), self.batch_size):
            batch = X[start : start + self.batch_size]
            body = "\n".join(",".join(repr(float(v)) for v in row) for row in batch)
            try:
                resp = client.invoke_endpoint(EndpointName=self.endpoint_name, ContentType="text/csv",
                                              Accept="application/json", Body=body.encode())
                part = Scores.from_json(json.loads(resp["Body"].read()))
            except client.exceptions.ModelError as exc:
                msg = exc.response.get("OriginalMessage") or exc.response.get("Error", {}).get("Message")
                raise AnomalyEndpointError(f"endpoint {self.endpoint_name} ModelError on rows {start}..: {msg}") from exc
            except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
                raise AnomalyEndpointError(f"endpoint {self.endpoint_name} failed on rows {start}.. "
                                           f"after {self.max_attempts} attempt(s): {exc}") from exc
            if len(part) != len(batch):
                raise AnomalyEndpointError(f"endpoint {self.endpoint_name} returned {len(part)} scores for {len(batch)} rows")
            parts.append(part)
        return Scores.concat(parts)


def get_anomaly_model(ref: str | None = None) -> AnomalyModel:
    """A saved AnomalyModel block by name, or the embedded default (local, latest registered)."""
    return AnomalyModel.load(ref) if ref else AnomalyModel()
