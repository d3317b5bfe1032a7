"""What every test that starts a local server needs: a free port, and waits on a condition with a
deadline (never a sleep of the right length)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition",
               interval: float = 0.05) -> None:
    """Poll `predicate` until it is true; TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def _alive(proc: subprocess.Popen | None, log: Path | None, name: str) -> None:
    if proc is not None and proc.poll() is not None:
        output = log.read_text(errors="replace") if log is not None and log.exists() else ""
        raise RuntimeError(f"{name} exited with {proc.returncode} before it was ready: {output[-2000:]}")


def wait_for_port(port: int, *, proc: subprocess.Popen | None = None, log: Path | None = None,
                  timeout: float = 15.0, name: str = "server") -> None:
    """Until something accepts TCP connections on 127.0.0.1:port; a server process that exits
    first fails at once, with its log."""

    def listening() -> bool:
        _alive(proc, log, name)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(listening, timeout, f"{name} on port {port}")


def wait_for_http(url: str, *, proc: subprocess.Popen | None = None, log: Path | None = None,
                  timeout: float = 60.0, name: str = "server") -> None:
    """Until GET url answers 200 (a health or ping route)."""

    def healthy() -> bool:
        _alive(proc, log, name)
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, timeout, f"{name} at {url}", interval=0.2)
