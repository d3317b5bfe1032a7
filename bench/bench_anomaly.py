"""Anomaly model benchmark: feature SQL on a generated day, fit and score on 1,000,000 rows per
detector, and rows/s through `recon model serve` (boto3 sagemaker-runtime) against in-process.

    .venv/bin/python bench/bench_anomaly.py [--trades 10000] [--rows 1000000] [--endpoint-rows 100000]

The 1,000,000 rows are feature rows of a generated, landed and matched day, resampled with
replacement (the generator would take minutes to write a 1M-trade day; the detectors only see
feature rows). Baselines in the same run: HBOS for fitting/scoring, in-process scoring for the
endpoint. ECOD and COPOD keep their training set and score slowly, so they run on --batch-rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from tests.support.servers import free_port, wait_for_http

D = date(2026, 11, 25)


def _day_features(tmp: Path, trades: int):
    from blocks.warehouse import Warehouse
    from recon.anomaly.features import compute_features
    from recon.generator import DayConfig, generate_day
    from tasks.anomaly_train import land_day
    from tasks.match import match_day

    generate_day(DayConfig(trade_date=D, trades=trades, seed=9001), tmp / "day")
    wh = Warehouse(duckdb_path=str(tmp / "bench.duckdb"))
    land_day(wh, tmp / "day")
    match_day(wh, D, "broker")
    t = time.perf_counter()
    frame = compute_features(wh, D)
    return frame, time.perf_counter() - t


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trades", type=int, default=10000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch-rows", type=int, default=100_000, help="rows for ECOD/COPOD")
    ap.add_argument("--endpoint-rows", type=int, default=100_000)
    args = ap.parse_args()
    from recon.anomaly import registry
    from recon.anomaly.models import fit_model

    console = Console()
    tmp = Path(tempfile.mkdtemp(prefix="bench-anomaly-"))
    frame, feat_s = _day_features(tmp, args.trades)
    rng = np.random.default_rng(0)
    X = frame.X[rng.integers(0, len(frame), args.rows)]
    t = Table(title=f"anomaly detectors: {args.rows:,} feature rows resampled from a {args.trades:,}-trade day "
                    f"({len(frame):,} links; feature SQL {feat_s:.2f} s = {len(frame) / feat_s:,.0f} links/s)")
    for c in ("detector", "role", "rows", "fit s", "score s", "score rows/s", "vs HBOS score"):
        t.add_column(c, justify="right" if c not in ("detector", "role") else "left")
    results = {}
    for det, role, n in (("hbos", "baseline (batch)", args.rows), ("iforest", "served", args.rows),
                         ("ecod", "batch", args.batch_rows), ("copod", "batch", args.batch_rows)):
        Xn = X[:n]
        if det == "hbos":
            fit_model(Xn[:1000], det)  # numba JIT once, not timed
        model, fit_s = _timed(lambda Xn=Xn, det=det: fit_model(Xn, det))
        _, score_s = _timed(lambda Xn=Xn, model=model: model.detector.decision_function(model.explainer.detector_input(Xn)))
        results[det] = (model, n / score_s)
        t.add_row(det, role, f"{n:,}", f"{fit_s:.2f}", f"{score_s:.2f}", f"{n / score_s:,.0f}",
                  f"{(n / score_s) / results['hbos'][1]:.2f}x")
    console.print(t)

    # The served model through `recon model serve` and boto3, against in-process scoring.
    iforest = fit_model(X[:200_000], "iforest")
    reg = str(tmp / "models")
    version = registry.save(iforest, {"bench": True}, root=reg)
    port = free_port()
    recon = str(Path(sys.executable).parent / "recon")
    proc = subprocess.Popen([recon, "model", "serve", "--model", version, "--registry", reg, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    try:
        wait_for_http(f"http://127.0.0.1:{port}/ping", proc=proc, timeout=60, name="recon model serve")
        from blocks.anomaly_model import AnomalyModel

        Xe = X[: args.endpoint_rows]
        local = registry.load(version, reg)
        _, local_s = _timed(lambda: local.score(Xe))
        e = Table(title=f"served endpoint: {len(Xe):,} rows, IForest, boto3 sagemaker-runtime -> recon model serve "
                        "(127.0.0.1, one process)")
        for c in ("path", "batch", "seconds", "rows/s", "vs in-process"):
            e.add_column(c, justify="left" if c == "path" else "right")
        e.add_row("in-process (baseline)", "-", f"{local_s:.2f}", f"{len(Xe) / local_s:,.0f}", "1.00x")
        for batch in (200, 1000, 5000):
            block = AnomalyModel(backend="sagemaker", endpoint_name="bench", endpoint_url=f"http://127.0.0.1:{port}",
                                 batch_size=batch, aws_access_key_id="x", aws_secret_access_key="x",
                                 on_endpoint_failure="fail")
            (_, info), s = _timed(lambda block=block: block.score(Xe, local))
            assert info["backend"] == "sagemaker"
            e.add_row("boto3 -> endpoint", f"{batch:,}", f"{s:.2f}", f"{len(Xe) / s:,.0f}", f"{local_s / s:.2f}x")
        console.print(e)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
