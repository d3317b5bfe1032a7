"""`recon model`: train, evaluate, list, serve and deploy the anomaly model."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import EXIT_EXTERNAL, console, fail, table

app = typer.Typer(help="Anomaly model: train, evaluate, list, serve (SageMaker contract), deploy.",
                  no_args_is_help=True)


def _metric_rows(metrics: dict) -> tuple[list[dict], list[dict]]:
    def f(v):
        return "" if v is None else f"{v:.4f}" if isinstance(v, float) else v

    overall = [{k: f(v) for k, v in metrics["overall"].items()}]
    kinds = [{"kind": k, **{m: f(v) for m, v in row.items()}} for k, row in metrics["per_kind"].items()]
    return overall, kinds


def _print_metrics(title: str, metrics: dict) -> None:
    overall, kinds = _metric_rows(metrics)
    console.print(table(f"{title}: overall", overall))
    console.print(table(f"{title}: per anomaly kind", kinds))


def _temp_warehouse(tmp: str):
    from blocks.warehouse import Warehouse

    return Warehouse(duckdb_path=str(Path(tmp) / "train.duckdb"))


@app.command()
def train(
    landing: list[Path] = typer.Argument(..., help="landing directories (as `recon generate` writes them, with truth.json)"),
    detector: str = typer.Option("iforest", help="iforest (served) | hbos | ecod | copod (batch)"),
    contamination: float = typer.Option(0.015, help="share of training rows the threshold flags"),
    history_days: int = typer.Option(30, help="window for an account's usual business"),
    registry_dir: Path | None = typer.Option(None, "--registry", help="default RECON_HOME/models"),
) -> None:
    """Fit a detector on the days' features (unsupervised) and register it with its metrics."""
    import tempfile

    from recon.anomaly.models import DETECTORS
    from tasks.anomaly_train import fit_and_register, land_day

    if detector not in DETECTORS:
        fail(f"unknown detector {detector!r}", f"choose from {', '.join(DETECTORS)}")
    if not 0 < contamination <= 0.5:
        fail(f"--contamination must be in (0, 0.5], got {contamination}")
    for d in landing:
        if not (d / "truth.json").exists():
            fail(f"{d} has no truth.json", "pass landing directories written by `recon generate`")
    with tempfile.TemporaryDirectory(prefix="recon-train-") as tmp:
        wh = _temp_warehouse(tmp)
        with console.status("landing and matching the training days..."):
            days = [land_day(wh, d) for d in landing]
            result = fit_and_register(wh, days, detector, contamination, history_days,
                                      str(registry_dir) if registry_dir else None)
        wh.close()
    console.print(f"registered [bold]{result['version']}[/] ({detector}, contamination {contamination}, "
                  f"{result['training']['rows']} rows, days {', '.join(result['training']['trade_dates'])})")
    if result["metrics"]:
        _print_metrics("in-sample", result["metrics"])


@app.command()
def evaluate(
    landing: Path = typer.Argument(..., help="a landing directory with truth.json, from a seed not used in training"),
    model: str = typer.Option("latest", help="registry version (v0001...) or latest"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """ROC AUC, average precision, precision at the top 1% and explanation hits, per anomaly kind."""
    import tempfile
    from datetime import date

    from recon.anomaly import registry
    from tasks.anomaly_train import evaluate_day, land_day

    if not (landing / "truth.json").exists():
        fail(f"{landing} has no truth.json", "evaluate needs a generated day (recon generate)")
    try:
        scoring = registry.load(model, str(registry_dir) if registry_dir else None)
    except (registry.ModelNotFound, registry.SchemaMismatch) as exc:
        fail(str(exc))
    with tempfile.TemporaryDirectory(prefix="recon-eval-") as tmp:
        wh = _temp_warehouse(tmp)
        with console.status("landing, matching and scoring..."):
            day = land_day(wh, landing)
            metrics = evaluate_day(wh, scoring, date.fromisoformat(day["trade_date"]), day["truth"])
        wh.close()
    _print_metrics(f"model {scoring.meta.get('version')} on {landing}", metrics)


@app.command("list")
def list_models(registry_dir: Path | None = typer.Option(None, "--registry")) -> None:
    """Registered models, newest last."""
    from recon.anomaly import registry

    rows = []
    for v in registry.versions(str(registry_dir) if registry_dir else None):
        m = registry.read_meta(v, str(registry_dir) if registry_dir else None)
        auc = (m.get("metrics", {}).get("in_sample", {}).get("overall", {}) or {}).get("roc_auc")
        rows.append({"version": v, "detector": m["detector"], "contamination": m["contamination"],
                     "schema": m["schema_hash"], "days": ",".join(m["training"].get("trade_dates", [])),
                     "rows": m["training"].get("rows"), "in-sample AUC": None if auc is None else round(auc, 4),
                     "created": m["created_at"]})
    console.print(table("anomaly models", rows) if rows else "no models registered")


@app.command()
def serve(
    model: str = typer.Option("latest", help="registry version or latest"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8080),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """Serve a registered model on the SageMaker container contract (GET /ping, POST /invocations)."""
    from recon.anomaly import registry
    from recon.anomaly.serve import make_server

    try:
        scoring = registry.load(model, str(registry_dir) if registry_dir else None)
    except (registry.ModelNotFound, registry.SchemaMismatch) as exc:
        fail(str(exc))
    try:
        server = make_server(scoring, host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}")
    console.print(f"serving {scoring.meta.get('version')} on http://{host}:{server.server_address[1]} "
                  f"(/ping, /invocations, /endpoints/<name>/invocations)", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def deploy(
    endpoint_name: str = typer.Option(..., help="SageMaker endpoint name"),
    image: str = typer.Option(..., help="container image URI that runs `recon model serve`"),
    role_arn: str = typer.Option(..., help="SageMaker execution role ARN"),
    model: str = typer.Option("latest", help="registry version or latest"),
    bucket: str | None = typer.Option(None, help="upload the model artifact to s3://BUCKET/recon-models/<version>/"),
    instance_type: str = typer.Option("ml.m5.large"),
    instance_count: int = typer.Option(1, min=1),
    region: str = typer.Option("us-east-1"),
    endpoint_url: str | None = typer.Option(None, help="AWS endpoint override (e.g. a moto server)"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """create_model, create_endpoint_config and create_endpoint through boto3."""
    from recon.anomaly import registry
    from tasks.anomaly_deploy import DeployError, deploy_model

    try:
        version = registry.resolve(model, str(registry_dir) if registry_dir else None)
    except registry.ModelNotFound as exc:
        fail(str(exc))
    if version is None:
        fail("no model registered", "run `recon model train` first")
    try:
        out = deploy_model(version, endpoint_name, image, role_arn, bucket=bucket, instance_type=instance_type,
                           instance_count=instance_count, region=region, endpoint_url=endpoint_url,
                           registry_dir=str(registry_dir) if registry_dir else None)
    except DeployError as exc:
        fail(str(exc), code=EXIT_EXTERNAL)
    console.print(table(f"deployed {version}", [out]))
