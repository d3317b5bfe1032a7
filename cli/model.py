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
    detector: str = typer.Option("robust", help="robust (default, served) | iforest | hbos | ecod | copod (batch)"),
    contamination: float = typer.Option(0.01, help="share of training rows the threshold flags"),
    history_days: int = typer.Option(30, help="window for an account's usual business"),
    registry_dir: Path | None = typer.Option(None, "--registry", help="default RECON_HOME/models"),
    eval_dirs: list[Path] = typer.Option([], "--eval", help="labelled days (not training days) to compare it "
                                         "with the champion on; it is promoted unless worse by more than --margin"),
    margin: float = typer.Option(0.01, help="how much worse than the champion a challenger may be"),
) -> None:
    """Fit a detector on the days' features (unsupervised), register it with its metrics, and make it
    the champion when there is none or it is not worse than the champion on the --eval days."""
    import tempfile

    from recon.anomaly.models import DETECTORS
    from tasks.anomaly_train import champion_challenger, fit_and_register, land_day

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
        with console.status("champion or challenger..."):
            result = champion_challenger(result, [str(d) for d in eval_dirs], tmp, margin,
                                         str(registry_dir) if registry_dir else None, promoted_by="recon model train")
    console.print(f"registered [bold]{result['version']}[/] ({detector}, contamination {contamination}, "
                  f"{result['training']['rows']} rows, days {', '.join(result['training']['trade_dates'])})")
    if result["metrics"]:
        _print_metrics("in-sample", result["metrics"])
    d = result["decision"]
    console.print(f"{'promoted to champion' if d['promoted'] else 'not promoted'}: {d['reason']}"
                  f" (champion: {result['champion']})", highlight=False)


def _days_from_seeds(seeds: str, start: str, trades: int, anomaly_rate: float, root: Path) -> list[Path]:
    from datetime import date, timedelta

    from recon.generator import DayConfig, generate_day

    try:
        numbers = [int(x) for x in seeds.split(",") if x.strip()]
        d = date.fromisoformat(start)
    except ValueError as exc:
        fail(f"bad seeds or date: {exc}", "e.g. --train-seeds 501,502,503 --date 2026-11-23")
    out = []
    for seed in numbers:
        while d.weekday() >= 5:
            d += timedelta(days=1)
        path = root / f"seed-{seed}"
        generate_day(DayConfig(trade_date=d, trades=trades, seed=seed, anomaly_rate=anomaly_rate), path)
        out.append(path)
        d += timedelta(days=1)
    return out


def _fmt(v):
    return "" if v is None else f"{v:.3f}" if isinstance(v, float) else v


@app.command()
def evaluate(
    landing: Path | None = typer.Argument(None, help="with --model: a day with truth.json to score a registered model on"),
    model: str | None = typer.Option(None, help="registry version (v0001...) or latest: score it on LANDING"),
    train: list[Path] = typer.Option([], "--train", help="landing directory of a training day (repeatable)"),
    eval_dirs: list[Path] = typer.Option([], "--eval", help="landing directory of an evaluation day (repeatable)"),
    train_seeds: str | None = typer.Option(None, help="generate the training days from these seeds (e.g. 501,502,503)"),
    eval_seeds: str | None = typer.Option(None, help="generate the evaluation days from these seeds (never training ones)"),
    trades: int = typer.Option(5000, help="trades per generated day"),
    anomaly_rate: float = typer.Option(0.006, help="anomaly rate of generated days"),
    start: str = typer.Option("2026-11-23", "--date", help="first trade date of generated days"),
    detector: str = typer.Option("robust", help="robust | iforest | hbos | ecod | copod"),
    contamination: float = typer.Option(0.01, help="share of training rows the base threshold flags"),
    leave_one_out: bool = typer.Option(True, "--leave-one-out/--no-leave-one-out", help="one configuration per kind left out"),
    reference: str = typer.Option("both", help="with | without | both: the reference files the days are landed with"),
    json_out: Path | None = typer.Option(None, "--json", help="also write the rows as JSON"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """Train on the days of some seeds, evaluate on the days of others: AUC, recall and precision at
    an alert budget of 1% of links, per kind, with and without reference files, leave-one-kind-out.

    With LANDING and --model: the figures of a registered model on one day."""
    import json
    import tempfile

    from recon.anomaly.models import DETECTORS

    if landing is not None or model is not None:
        return _evaluate_registered(landing, model or "latest", registry_dir)
    if detector not in DETECTORS:
        fail(f"unknown detector {detector!r}", f"choose from {', '.join(DETECTORS)}")
    if reference not in ("with", "without", "both"):
        fail(f"--reference must be with, without or both, got {reference!r}")
    if train_seeds and eval_seeds and set(train_seeds.split(",")) & set(eval_seeds.split(",")):
        fail("the evaluation seeds overlap the training seeds", "a seed's days may be used for one or the other")
    with tempfile.TemporaryDirectory(prefix="recon-evaluate-") as tmp:
        root = Path(tmp)
        with console.status("generating and landing the days..."):
            train_days = [*train, *(_days_from_seeds(train_seeds, start, trades, anomaly_rate, root / "train")
                                    if train_seeds else [])]
            eval_days = [*eval_dirs, *(_days_from_seeds(eval_seeds, start, trades, anomaly_rate, root / "eval")
                                       if eval_seeds else [])]
        if not train_days or not eval_days:
            fail("give training days (--train or --train-seeds) and evaluation days (--eval or --eval-seeds)")
        for d in [*train_days, *eval_days]:
            if not (d / "truth.json").exists():
                fail(f"{d} has no truth.json", "evaluation needs labelled days (recon generate)")
        if {p.resolve() for p in train_days} & {p.resolve() for p in eval_days}:
            fail("a day is both a training and an evaluation day")
        from tasks.anomaly_train import evaluate_protocol

        refs = {"with": (True,), "without": (False,), "both": (True, False)}[reference]
        with console.status("landing, matching, fitting and scoring...") as status:
            rows = evaluate_protocol(train_days, eval_days, root / "work", detector, contamination, leave_one_out,
                                     refs, progress=status.update)
    console.print(table(f"{detector}: trained on {len(train_days)} day(s), evaluated on {len(eval_days)} other day(s); "
                        "budget = each day's top 1% of links", [{k: _fmt(v) for k, v in r.items()} for r in rows]))
    if json_out:
        json_out.write_text(json.dumps(rows, indent=1))


def _evaluate_registered(landing: Path | None, model: str, registry_dir: Path | None) -> None:
    import tempfile
    from datetime import date

    from recon.anomaly import registry
    from tasks.anomaly_train import evaluate_day, land_day

    if landing is None or not (landing / "truth.json").exists():
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
    champ = registry.champion(str(registry_dir) if registry_dir else None)
    for v in registry.versions(str(registry_dir) if registry_dir else None):
        m = registry.read_meta(v, str(registry_dir) if registry_dir else None)
        auc = (m.get("metrics", {}).get("in_sample", {}).get("overall", {}) or {}).get("roc_auc")
        rows.append({"version": v + (" *" if v == champ else ""), "detector": m["detector"],
                     "contamination": m["contamination"],
                     "schema": m["schema_hash"], "days": ",".join(m["training"].get("trade_dates", [])),
                     "rows": m["training"].get("rows"), "in-sample AUC": None if auc is None else round(auc, 4),
                     "created": m["created_at"]})
    console.print(table("anomaly models (* champion)", rows) if rows else "no models registered")


@app.command()
def monitor(
    days: int = typer.Option(5, "--days", min=1, help="the last N trade dates with scored links"),
    model: str = typer.Option("champion", help="registry version, champion or latest"),
    threshold: float = typer.Option(0.25, help="PSI above which a feature (or the score) has drifted"),
    warehouse: Path | None = typer.Option(None, "--warehouse", help="DuckDB file (default: RECON_HOME/warehouse.duckdb)"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """PSI of each feature and of the score against the model's training sample, per day."""
    from blocks.warehouse import Warehouse
    from recon.anomaly import registry
    from recon.anomaly.features import FEATURE_NAMES
    from recon.anomaly.monitor import SCORE, drift
    from tasks.anomaly_monitor import MIN_LINKS, day_links

    reg = str(registry_dir) if registry_dir else None
    try:
        version = registry.resolve_for_scoring(model, reg)
        scoring = registry.load(version, reg) if version else None
    except (registry.ModelNotFound, registry.SchemaMismatch) as exc:
        fail(str(exc))
    if scoring is None:
        fail("no model registered for this feature schema", "run `recon model train` first")
    if not scoring.monitor:
        fail(f"model {version} keeps no training sample to compare with", "retrain it")
    if warehouse is not None and not warehouse.exists():
        fail(f"no warehouse at {warehouse}")
    wh = Warehouse(duckdb_path=str(warehouse)) if warehouse else Warehouse()
    wh.ensure_schema("72_anomaly_links.sql")
    dates = [r["trade_date"] for r in wh.fetch_rows(
        "SELECT DISTINCT trade_date FROM anomaly_links WHERE model = :m ORDER BY trade_date DESC LIMIT "
        + str(int(days)), {"m": version})][::-1]
    if not dates:
        fail(f"no links scored by {version} in {wh.describe()}", "run `recon run` with this model first")
    psi: dict[str, dict[str, str]] = {n: {"feature": n} for n in (*FEATURE_NAMES, SCORE)}
    links = {"feature": "links scored"}
    for d in dates:
        X, raw = day_links(wh, d, version)
        links[str(d)] = str(len(X))
        if len(X) < MIN_LINKS:
            continue
        for r in drift(scoring.monitor, scoring.explainer, X, raw, FEATURE_NAMES, threshold):
            psi[r["name"]][str(d)] = f"{r['psi']:.3f}{' !' if r['drifted'] else ''}"
    wh.close()
    rows = [links, *psi.values()]
    console.print(table(f"PSI vs the training sample of {version} (! above {threshold}; fewer than {MIN_LINKS} "
                        "links: not measured)", rows, ["feature", *[str(d) for d in dates]]))


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
    model: str = typer.Option("champion", help="registry version, champion or latest"),
    bucket: str | None = typer.Option(None, help="upload the model artifact to s3://BUCKET/recon-models/<version>/"),
    instance_type: str = typer.Option("ml.m5.large"),
    instance_count: int = typer.Option(1, min=1),
    region: str = typer.Option("us-east-1"),
    endpoint_url: str | None = typer.Option(None, help="AWS endpoint override (e.g. a moto server)"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """Put a model behind a SageMaker endpoint: create it, or update a running one (the champion by default)."""
    from prefect_aws import AwsCredentials

    from blocks.sagemaker_deploy import DeployError, SageMakerDeploy
    from recon.anomaly import registry

    reg = str(registry_dir) if registry_dir else None
    try:
        version = registry.resolve_for_scoring(model, reg) if model in ("champion", "latest") else registry.resolve(model, reg)
    except registry.ModelNotFound as exc:
        fail(str(exc))
    if version is None:
        fail("no model registered for this feature schema", "run `recon model train` first")
    creds = AwsCredentials(region_name=region, aws_client_parameters={"endpoint_url": endpoint_url} if endpoint_url else {})
    deployer = SageMakerDeploy(image=image, role_arn=role_arn, bucket=bucket, instance_type=instance_type,
                               instance_count=instance_count, aws_credentials=creds)
    try:
        out = deployer.deploy(version, endpoint_name, reg)
    except DeployError as exc:
        fail(str(exc), code=EXIT_EXTERNAL)
    console.print(table(f"{out['action']} {endpoint_name}: {version}", [out]))
