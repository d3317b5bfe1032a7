"""AnomalyModel block: where anomaly scores come from.

backend "local" (the embedded default): a PyOD model from the registry (RECON_HOME/models), in
process. backend "sagemaker": boto3 sagemaker-runtime invoke_endpoint on an endpoint serving the
same model (recon/anomaly/serve.py is the container), in batches, with retries; endpoint_url points
boto3 at a local server. If the endpoint fails (5xx after retries, timeout, ModelError), the block
falls back to the local copy of the model (on_endpoint_failure="local") and says so, or raises
AnomalyEndpointError (on_endpoint_failure="fail"). Scores are never silently dropped: every row
comes back scored, or the call fails.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from recon.anomaly.models import DEFAULT_CONTAMINATION, DEFAULT_DETECTOR, Scores, ScoringModel


class AnomalyEndpointError(RuntimeError):
    """The SageMaker endpoint could not score the rows (and fallback was not allowed or possible)."""


class AnomalyModel(Block):
    _block_type_name = "Recon Anomaly Model"

    backend: Literal["local", "sagemaker"] = "local"
    model_version: str = Field(default="latest", description="registry version (v0001...) or 'latest'")
    registry_dir: str | None = Field(default=None, description="default RECON_HOME/models")
    detector: str = Field(default=DEFAULT_DETECTOR, description="detector fitted on the day when no model is registered")
    contamination: float = DEFAULT_CONTAMINATION
    endpoint_name: str | None = None
    endpoint_url: str | None = Field(default=None, description="e.g. http://127.0.0.1:8080 for `recon model serve`")
    region_name: str = "us-east-1"
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    batch_size: int = Field(default=2000, ge=1, le=20000, description="rows per invoke_endpoint call")
    max_attempts: int = Field(default=3, ge=1, le=10, description="boto3 attempts per batch (5xx, throttling, timeouts)")
    timeout_seconds: float = Field(default=10.0, gt=0)
    on_endpoint_failure: Literal["local", "fail"] = "local"

    # ---- the model --------------------------------------------------------------------------
    def registered_model(self) -> ScoringModel | None:
        """The registered model to use, or None when none matches the running feature schema.

        'latest' means the newest version whose schema matches; a named version that does not
        match is an error (SchemaMismatch), not a silent swap.
        """
        from recon.anomaly import registry
        from recon.anomaly.features import schema_hash

        if self.model_version not in ("", "latest"):
            return registry.load(self.model_version, self.registry_dir)
        want = schema_hash()
        for version in reversed(registry.versions(self.registry_dir)):
            if registry.read_meta(version, self.registry_dir)["schema_hash"] == want:
                return registry.load(version, self.registry_dir)
        return None

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
        import boto3
        from botocore.config import Config

        cfg = Config(
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
        )
        kw = {"region_name": self.region_name, "config": cfg}
        if self.endpoint_url:
            kw["endpoint_url"] = self.endpoint_url
        if self.aws_access_key_id and self.aws_secret_access_key:
            kw["aws_access_key_id"] = self.aws_access_key_id
            kw["aws_secret_access_key"] = self.aws_secret_access_key.get_secret_value()
        return boto3.client("sagemaker-runtime", **kw)

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
