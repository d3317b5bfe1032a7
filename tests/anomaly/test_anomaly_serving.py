"""`recon model serve` (the SageMaker container contract) called through boto3 sagemaker-runtime
gives the local model's scores bit for bit; a broken endpoint degrades to local or fails clearly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from blocks.anomaly_model import AnomalyEndpointError, AnomalyModel
from recon.anomaly import registry
from tasks.anomaly import scores_equal
from tests.support.servers import free_port, wait_for_http

RECON = str(Path(sys.executable).parent / "recon")
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def served(trained, registry_dir):
    port = free_port()
    proc = subprocess.Popen([RECON, "model", "serve", "--model", trained["version"], "--registry", registry_dir,
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/ping", proc=proc, timeout=60, name="recon model serve")
    except (TimeoutError, RuntimeError) as exc:
        proc.kill()
        pytest.fail(f"{exc}: {proc.stdout.read().decode()}")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _block(url: str, **kw) -> AnomalyModel:
    return AnomalyModel(backend="sagemaker", endpoint_name="recon-anomaly", endpoint_url=url, batch_size=250, **CREDS, **kw)


def test_boto3_through_served_endpoint_is_identical_to_local(served, trained, eval_day, registry_dir):
    model = registry.load(trained["version"], registry_dir)
    X = eval_day["frame"].X
    remote, info = _block(served).score(X, model)
    assert info == {"backend": "sagemaker", "endpoint": "recon-anomaly"}
    assert scores_equal(remote, model.score(X))  # 2,000+ rows in batches of 250


def test_container_contract_csv_and_json(served, trained, eval_day, registry_dir):
    from recon.anomaly.features import FEATURE_NAMES

    model = registry.load(trained["version"], registry_dir)
    X = eval_day["frame"].X[:20]
    ping = httpx.get(f"{served}/ping").json()
    assert ping["model"] == trained["version"]
    csv_body = ",".join(FEATURE_NAMES) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in X)
    a = httpx.post(f"{served}/invocations", content=csv_body, headers={"Content-Type": "text/csv"}).json()
    b = httpx.post(f"{served}/invocations", json={"instances": X.tolist()}).json()
    c = httpx.post(f"{served}/invocations", json={"records": [dict(zip(FEATURE_NAMES, r, strict=True)) for r in X.tolist()]}).json()
    assert a == b == c and a["raw"] == model.score(X).raw.tolist()


def test_bad_input_is_4xx_and_boto3_model_error(served):
    import boto3

    r = httpx.post(f"{served}/invocations", content="1,2,3", headers={"Content-Type": "text/csv"})
    assert r.status_code == 400 and "expected 10 features" in r.json()["error"]
    r = httpx.post(f"{served}/invocations", content="x", headers={"Content-Type": "application/xml"})
    assert r.status_code == 400 and "unsupported content type" in r.json()["error"]
    client = boto3.client("sagemaker-runtime", endpoint_url=served, **CREDS)
    with pytest.raises(client.exceptions.ModelError, match="must be numbers"):
        client.invoke_endpoint(EndpointName="recon-anomaly", ContentType="text/csv", Body=b"a,b,c,d,e,f,g,h,i,j")


class _Faulty(BaseHTTPRequestHandler):
    mode = "500"
    hits = 0

    def log_message(self, *a):
        pass

    def do_POST(self):  # noqa: N802
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.mode == "sleep":
            time.sleep(2)
        status, headers = (424, {"x-amzn-ErrorType": "ModelError"}) if self.mode == "model_error" else (500, {})
        body = json.dumps({"OriginalStatusCode": 400, "OriginalMessage": "boom from the model", "Message": "boom"}).encode()
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


@pytest.fixture()
def faulty():
    _Faulty.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("mode", ["500", "sleep", "model_error", "down"])
def test_broken_endpoint_falls_back_or_fails_clearly(mode, faulty, trained, eval_day, registry_dir):
    model = registry.load(trained["version"], registry_dir)
    X = eval_day["frame"].X[:50]
    _Faulty.mode = mode
    url = f"http://127.0.0.1:{free_port()}" if mode == "down" else faulty
    kw = {"max_attempts": 2, "timeout_seconds": 0.5}
    scores, info = _block(url, **kw).score(X, model)
    assert info["backend"] == "local" and "recon-anomaly" in info["fallback"]
    assert scores_equal(scores, model.score(X))  # every row scored, by the local copy
    if mode == "500":
        assert _Faulty.hits >= 2  # retried, then fell back
    if mode == "model_error":
        assert "ModelError" in info["fallback"] and "boom from the model" in info["fallback"]
    with pytest.raises(AnomalyEndpointError, match="recon-anomaly"):
        _block(url, on_endpoint_failure="fail", **kw).score(X, model)
