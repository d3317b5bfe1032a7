"""`recon model` commands: train / list / evaluate on generated days, deploy against moto's
SageMaker control plane, and exit code 2 for bad input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app
from recon.generator.anomalies import ANOMALY_KINDS
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
    assert "promoted to champion: no champion yet" in r.output
    r = runner.invoke(app, ["model", "list", "--registry", reg])
    assert r.exit_code == 0 and "v0001 *" in r.output and "hbos" in r.output
    r = runner.invoke(app, ["model", "evaluate", str(eval_day["path"]), "--model", "v0001", "--registry", reg])
    assert r.exit_code == 0, r.output
    for kind in ANOMALY_KINDS:
        assert kind in r.output
    assert "roc_auc" in r.output and "recall_at_budget" in r.output


@pytest.mark.slow
def test_evaluate_protocol_rows(tmp_path):
    """Training and evaluation seeds apart, with and without reference files, a kind left out."""
    import json

    out = tmp_path / "rows.json"
    r = runner.invoke(app, ["model", "evaluate", "--train-seeds", "31,32", "--eval-seeds", "33", "--trades", "800",
                            "--anomaly-rate", "0.02", "--json", str(out)], terminal_width=250)
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text())
    configs = {(x["reference"], x["configuration"]) for x in rows}
    assert {("with", "all kinds"), ("without", "all kinds"), ("without", "without off_hours")} <= configs
    left_out = [x for x in rows if x["configuration"] == "without off_hours"]
    assert [x["kind"] for x in left_out] == ["off_hours", "off_hours"]  # with and without reference files
    overall = [x for x in rows if x["kind"] == "all"]
    assert all(0 <= x["roc_auc"] <= 1 and x["recall_at_budget"] is not None for x in overall)
    r = runner.invoke(app, ["model", "evaluate", "--train-seeds", "31,32", "--eval-seeds", "32"])
    assert r.exit_code == 2 and "overlap" in r.output


@pytest.mark.parametrize("args, message", [
    (["model", "train", "/nonexistent-day"], "no truth.json"),
    (["model", "train", "/tmp", "--detector", "lof"], "unknown detector"),
    (["model", "evaluate", "/tmp", "--model", "latest"], "no truth.json"),
    (["model", "evaluate", "--train-seeds", "1"], "give training days"),
    (["model", "serve", "--model", "v0042", "--registry", "/tmp/recon-no-models"], "not in the registry"),
])
def test_bad_input_exits_2(args, message):
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_deploy_creates_then_updates_the_endpoint_to_the_champion(trained, registry_dir, tmp_path, monkeypatch,
                                                                  moto_update_endpoint):
    """Against moto's SageMaker control plane: the first deploy creates the endpoint with the
    champion; after another version is promoted the same command moves the running endpoint to it."""
    import shutil

    import boto3
    from moto.server import ThreadedMotoServer

    from recon.anomaly import registry

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, "testing")
    reg = str(tmp_path / "models")
    shutil.copytree(registry_dir, reg)
    registry.promote(trained["version"], "test", "first", root=reg)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    args = ["model", "deploy", "--endpoint-name", "recon-anomaly",
            "--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/recon:latest",
            "--role-arn", "arn:aws:iam::123456789012:role/sagemaker"]
    try:
        url = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        s3.create_bucket(Bucket="recon-models")
        r = runner.invoke(app, [*args, "--bucket", "recon-models", "--endpoint-url", url, "--registry", reg])
        assert r.exit_code == 0, r.output
        assert f"created recon-anomaly: {trained['version']}" in r.output
        sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1")

        def served_version() -> str:
            ep = sm.describe_endpoint(EndpointName="recon-anomaly")
            cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
            model = sm.describe_model(ModelName=cfg["ProductionVariants"][0]["ModelName"])
            return model["PrimaryContainer"]["Environment"]["RECON_MODEL_VERSION"], model

        version, model = served_version()
        assert version == trained["version"]
        key = f"recon-models/{version}/model.tar.gz"
        assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://recon-models/{key}"
        assert s3.get_object(Bucket="recon-models", Key=key)["ContentLength"] > 1000

        newer = registry.save(registry.load(trained["version"], reg), {"trade_dates": ["2026-11-25"]}, root=reg)
        registry.promote(newer, "test", "retrained", root=reg)
        r = runner.invoke(app, [*args, "--bucket", "recon-models", "--endpoint-url", url, "--registry", reg])
        assert r.exit_code == 0 and f"updated recon-anomaly: {newer}" in r.output, r.output
        assert served_version()[0] == newer
        assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["recon-anomaly"]

        # an AWS error (here: no such bucket) is reported with exit code 3, and nothing is created
        r = runner.invoke(app, ["model", "deploy", "--endpoint-name", "recon-anomaly-2", "--image", "img",
                                "--role-arn", "arn:aws:iam::123456789012:role/sagemaker", "--bucket", "no-such-bucket",
                                "--endpoint-url", url, "--registry", reg])
        assert r.exit_code == 3, r.output
        assert "NoSuchBucket" in r.output
        assert [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]] == ["recon-anomaly"]
    finally:
        server.stop()


@pytest.mark.slow
def test_monitor_prints_psi_per_day(trained, registry_dir, landed_day_wh, eval_day, tmp_path):
    from blocks.anomaly_model import AnomalyModel
    from tasks.anomaly import score_pair
    from tasks.match import match_day

    wh, d = landed_day_wh, eval_day["trade_date"]
    match_day(wh, d, "broker")
    score_pair(wh, d, "broker", AnomalyModel(registry_dir=registry_dir))
    path = wh.duckdb_path
    wh.close()
    r = runner.invoke(app, ["model", "monitor", "--days", "3", "--warehouse", path, "--registry", registry_dir],
                      terminal_width=400)
    assert r.exit_code == 0, r.output
    assert d.isoformat() in r.output and "commission_ratio" in r.output and "anomaly_score" in r.output
    r = runner.invoke(app, ["model", "monitor", "--warehouse", str(tmp_path / "none.duckdb"), "--registry", registry_dir])
    assert r.exit_code == 2 and "no warehouse" in r.output
