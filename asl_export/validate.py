"""Run the two ASL validators (asl-validator from npm, statelint from PyPI) on a definition.

Each catches mistakes the other misses (see ../shared/LOCAL-STACK.md), so build and the tests run
both. Tools are looked up in the repository's node_modules/.bin and the running interpreter's bin.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# statelint 3.1 predates Distributed Map's ReaderConfig.InputType, which AWS requires for JSON item
# files; asl-validator knows it. Only these exact messages are dropped from statelint's report.
STATELINT_FALSE_POSITIVES = [re.compile(r'^Field "InputType" not allowed in .*\.ItemReader\.ReaderConfig$')]


def _statelint_problems(output: str) -> list[str]:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    real = [line for line in lines if not re.match(r"^(\d+ errors|One error):$", line)
            and not any(p.match(line) for p in STATELINT_FALSE_POSITIVES)]
    return real


def asl_validator_path() -> str | None:
    local = REPO / "node_modules" / ".bin" / "asl-validator"
    return str(local) if local.exists() else shutil.which("asl-validator")


def statelint_path() -> str | None:
    local = Path(sys.executable).parent / "statelint"
    return str(local) if local.exists() else shutil.which("statelint")


def validate_definitions(definitions: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """Validate many definitions with one run of each tool; per-definition runs only on failure."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, definition in enumerate(definitions.values()):
            path = Path(folder) / f"{i}.asl.json"
            path.write_text(json.dumps(definition))
            paths.append(str(path))
        tools = [(asl_validator_path(), lambda t: [t] + [a for p in paths for a in ("--json-path", p)]),
                 (statelint_path(), lambda t: [t, *paths])]
        all_clean = all(
            tool is not None and subprocess.run(argv(tool), capture_output=True, timeout=300).returncode == 0
            for tool, argv in tools
        )
    if all_clean:
        return {name: {"asl-validator": [], "statelint": []} for name in definitions}
    return {name: validate_definition(definition) for name, definition in definitions.items()}


def validate_definition(definition: dict[str, Any]) -> dict[str, list[str]]:
    """{validator: [problems]}; a missing tool reports itself as a problem (never silently passes)."""
    report: dict[str, list[str]] = {}
    with tempfile.NamedTemporaryFile("w", suffix=".asl.json", delete=False) as fh:
        json.dump(definition, fh)
        path = fh.name
    try:
        tool = asl_validator_path()
        if tool is None:
            report["asl-validator"] = ["asl-validator not found (npm install in the repository)"]
        else:
            done = subprocess.run([tool, "--json-path", path], capture_output=True, text=True, timeout=120)
            report["asl-validator"] = [] if done.returncode == 0 else [(done.stdout + done.stderr).strip()]
        tool = statelint_path()
        if tool is None:
            report["statelint"] = ["statelint not found (pip install statelint)"]
        else:
            done = subprocess.run([tool, path], capture_output=True, text=True, timeout=120)
            report["statelint"] = [] if done.returncode == 0 else _statelint_problems(done.stdout + done.stderr)
    finally:
        os.unlink(path)
    return report
