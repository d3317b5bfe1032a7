"""`recon ui`: a local Prefect server with the project's deployments served, for local work."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import typer

from cli.common import EXIT_EXTERNAL, console, fail


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(
    port: int = typer.Option(4200, "--port", help="Port of the Prefect server (127.0.0.1)."),
    deployment: list[str] = typer.Option(None, "--deployment", help="Serve only these (default: all in prefect.yaml)."),
    server: bool = typer.Option(True, "--server/--no-server",
                                help="Start a Prefect server, or use PREFECT_API_URL's."),
) -> None:
    """Start the Prefect UI and serve the deployments in prefect.yaml (daily, intraday, adhoc, ...)."""
    import httpx

    proc = None
    if server:
        api = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env
        )
        for _ in range(240):
            try:
                if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            proc.terminate()
            fail(f"the Prefect server did not come up on port {port}", code=EXIT_EXTERNAL)
        os.environ["PREFECT_API_URL"] = api
        console.print(f"Prefect UI: http://127.0.0.1:{port}")
    elif not os.environ.get("PREFECT_API_URL"):
        fail("--no-server needs PREFECT_API_URL", hint="export PREFECT_API_URL=http://127.0.0.1:4200/api")
    from prefect import serve

    from cli.deployments import runner_deployments

    try:
        deployments = runner_deployments(deployment or None)
        console.print("serving: " + ", ".join(d.name for d in deployments) + "  (Ctrl-C stops)")
        serve(*deployments)
    except ValueError as exc:
        fail(str(exc))
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
