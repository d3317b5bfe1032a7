"""prefect.yaml is the one list of deployments: `recon ui` serves it, `recon rerun` starts it.

Serving from this process (prefect's `serve`) needs no work pool or worker: good for a laptop and
for tests. In production, `prefect deploy` reads the same file with its work pools.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from recon.paths import PROJECT_ROOT

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict]:
    spec = yaml.safe_load(path.read_text()) or {}
    deployments = spec.get("deployments") or []
    if not deployments:
        raise ValueError(f"{path}: no deployments listed")
    return deployments


def load_flow(entrypoint: str):
    """'flows/daily.py:daily_reconciliation' -> the flow object."""
    file, _, name = entrypoint.partition(":")
    path = PROJECT_ROOT / file
    if not path.exists() or not name:
        raise ValueError(f"entrypoint {entrypoint!r}: expected an existing file and a flow name (FILE:FLOW)")
    module_name = ".".join(Path(file).with_suffix("").parts)
    module = importlib.import_module(module_name) if importlib.util.find_spec(module_name) else None
    if module is None or not hasattr(module, name):
        raise ValueError(f"entrypoint {entrypoint!r}: {name} not found in {file}")
    return getattr(module, name)


def runner_deployments(names: list[str] | None = None, path: Path = PREFECT_YAML) -> list:
    """RunnerDeployments for prefect.yaml's entries (schedules with their time zones)."""
    from prefect.schedules import Cron

    out = []
    for d in deployment_specs(path):
        if names and d["name"] not in names:
            continue
        flow = load_flow(d["entrypoint"])
        schedules = [Cron(s["cron"], timezone=s.get("timezone", "UTC")) for s in d.get("schedules") or [] if "cron" in s]
        out.append(
            flow.to_deployment(
                name=d["name"],
                description=d.get("description"),
                schedules=schedules or None,
                parameters=d.get("parameters") or {},
                tags=["fix-recon", d["name"]],
            )
        )
    return out


def deployment_name(flow_name: str, deployment: str) -> str:
    return f"{flow_name}/{deployment}"
