"""`recon model` commands: train / list / evaluate on generated days, deploy against moto's
SageMaker control plane, and exit code 2 for bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from tests.support.servers import free_port

runner = CliRunner()


@pytest.mark.slow
def test_train_list_evaluate(tmp_path, eval_day, anomaly_root):
    from datetime import date

    from recon.generator import DayConfig, generate_day

    day = tmp_path / "day"
    generate_day(DayConfig(trade_date=date(2026, 11, 20), trades=600, seed=77, anomaly_rate=0.03), day)
    reg = str(tmp_path / "models")
    r = runner.invoke(app, ["model", "train", str(day), "--registry", reg, "--detector", "hbos", "--contamination", "0.02"])
    assert r.exit_code == 0, r.output
    assert "registered v0001 (hbos, contamination 0.02" in r.output and "per anomaly kind" in r.output
    r = runner.invoke(app, ["model", "list", "--registry", reg])
    assert r.exit_code == 0 and "v0001" in r.output and "hbos" in r.output
    r = runner.invoke(app, ["model", "evaluate", str(eval_day["path"]), "--model", "v0001", "--registry", reg])
    assert r.exit_code == 0, r.output
    for kind in ("fat_finger_price", "off_market", "wrong_account", "commission_spike", "duplicate_booking", "wash_trade"):
        assert kind in r.output
    assert "roc_auc" in r.output and "precision_at_1pct" in r.output


@pytest.mark.parametrize("args, message", [
    (["model", "train", "/nonexistent-day"], "no truth.json"),
    (["model", "train", "/tmp", "--detector", "lof"], "unknown detector"),
    (["model", "evaluate", "/tmp"], "no truth.json"),
    (["model", "serve", "--model", "v0042", "--registry", "/tmp/recon-no-models"], "not in the registry"),
])
def test_bad_input_exits_2(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_deploy_against_moto(trained, registry_dir, monkeypatch):
    import boto3
    from moto.server import ThreadedMotoServer

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, "testing")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket="recon-models")
        r = runner.invoke(app, ["model", "deploy", "--endpoint-name", "recon-anomaly", "--model", trained["version"],
                                "--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/recon:latest",
                                "--role-arn", "arn:aws:iam::123456789012:role/sagemaker", "--bucket", "recon-models",
                                "--endpoint-url", url, "--registry", registry_dir])
        assert r.exit_code == 0, r.output
        sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1")
        ep = sm.describe_endpoint(EndpointName="recon-anomaly")
        cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
        model = sm.describe_model(ModelName=cfg["ProductionVariants"][0]["ModelName"])
        assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://recon-models/recon-models/{trained['version']}/model.tar.gz"
        assert model["PrimaryContainer"]["Environment"]["RECON_MODEL_VERSION"] == trained["version"]
        obj = boto3.client("s3", endpoint_url=url, region_name="us-east-1").get_object(
            Bucket="recon-models", Key=f"recon-models/{trained['version']}/model.tar.gz")
        assert obj["ContentLength"] > 1000
        # an AWS error (here: no such bucket) is reported with exit code 3, and nothing is created
        r = runner.invoke(app, ["model", "deploy", "--endpoint-name", "recon-anomaly-2", "--model", trained["version"],
                                "--image", "img", "--role-arn", "arn:aws:iam::123456789012:role/sagemaker",
                                "--bucket", "no-such-bucket", "--endpoint-url", url, "--registry", registry_dir])
        assert r.exit_code == 3, r.output
        assert "NoSuchBucket" in r.output
        assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["recon-anomaly"]
    finally:
        server.stop()
