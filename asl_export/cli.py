"""What `recon asl ...` does, without the typer layer (cli/asl.py): load flows, parse
parameters, write build artifacts, run cfn-lint."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from asl_export.compiler import StateMachine


class UsageError(ValueError):
    """Bad input from the command line (exit code 2)."""


def load_flow(reference: str) -> Any:
    """'package.module:flow_name' or 'path/to/file.py:flow_name' -> the Prefect flow object."""
    from prefect import Flow

    module_part, _, attr = reference.partition(":")
    if not attr:
        raise UsageError(f"{reference!r}: expected MODULE:FLOW, e.g. flows.daily:daily_reconciliation")
    if module_part.endswith(".py"):
        path = Path(module_part).resolve()
        root = Path.cwd().resolve()
        try:
            module_part = ".".join(path.relative_to(root).with_suffix("").parts)
        except ValueError:
            raise UsageError(f"{path} is outside the current directory; use a module name") from None
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_part)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_part!r}: {exc}") from None
    target = getattr(module, attr, None)
    if not isinstance(target, Flow):
        raise UsageError(f"{module_part}:{attr} is not a Prefect flow")
    return target


def parse_params(pairs: list[str], input_json: str | None = None) -> dict[str, Any]:
    """--param k=v (v parsed as JSON when it parses, else kept as a string) over --input-json."""
    params: dict[str, Any] = {}
    if input_json:
        try:
            params = json.loads(input_json)
        except ValueError as exc:
            raise UsageError(f"--input-json is not JSON: {exc}") from None
        if not isinstance(params, dict):
            raise UsageError("--input-json must be a JSON object")
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def write_build(machine: StateMachine, out: Path, schedules: list[Any]) -> dict[str, Path]:
    from asl_export.mermaid import to_mermaid
    from asl_export.template import build_template

    out.mkdir(parents=True, exist_ok=True)
    stem = machine.flow.name
    paths = {"asl": out / f"{stem}.asl.json", "template": out / f"{stem}.template.json", "graph": out / f"{stem}.mmd"}
    paths["asl"].write_text(machine.to_json() + "\n")
    paths["template"].write_text(json.dumps(build_template(machine, schedules), indent=2) + "\n")
    paths["graph"].write_text(to_mermaid(machine.definition))
    return paths


def cfn_lint(template_path: Path) -> list[str]:
    """cfn-lint problems (empty when clean)."""
    tool = Path(sys.executable).parent / "cfn-lint"
    command = [str(tool)] if tool.exists() else [sys.executable, "-m", "cfnlint"]
    done = subprocess.run([*command, str(template_path)], capture_output=True, text=True, timeout=300)
    return [] if done.returncode == 0 else [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
