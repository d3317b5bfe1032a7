"""`recon dropcopy --config FILE`: run the FIX drop-copy gateway (session -> stream)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import typer

from cli.common import console, fail, table

EXAMPLE = """\
session:
  host: 127.0.0.1
  port: 9878
  sender_comp_id: FUNDRECON
  target_comp_id: PRIMEBRK
  begin_string: FIX.4.4
  heartbeat: 30
  reset_on_logon: false
stream:                      # a saved block (block: NAME) or inline settings
  engine: kinesis            # or file: append to a FIX log (the embedded default)
  stream_name: dropcopy
  region: us-east-1
  endpoint_url: http://127.0.0.1:4567    # optional: a local Kinesis stand-in
  aws_credentials_block: prod-aws        # optional: a saved AwsCredentials block
partition_key:
  tag: 1                     # Account: one account's messages stay in order
"""

_SESSION_KEYS = {"host", "port", "sender_comp_id", "target_comp_id", "begin_string", "heartbeat", "reset_on_logon"}
_STREAM_KEYS = {"block", "engine", "stream_name", "region", "endpoint_url", "aws_credentials_block", "replay_file"}


def register(app: typer.Typer) -> None:
    app.command("dropcopy", epilog="`recon dropcopy --example` prints a config; docs/streaming.md explains it.")(
        dropcopy
    )


def dropcopy(
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML or TOML gateway config"),
    example: bool = typer.Option(False, "--example", help="print an example config and exit"),
    duration: float | None = typer.Option(None, help="stop (Logout) after this many seconds; default: run until Ctrl-C"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log every session event"),
) -> None:
    """Log on to a broker's drop-copy acceptor and publish every application message, raw, to the stream."""
    if example:
        typer.echo(EXAMPLE, nl=False)
        return
    if config is None:
        fail("--config FILE is required", hint="`recon dropcopy --example > dropcopy.yaml` to start one")
    import logging

    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    settings = load_config(config)
    session_cfg = session_config(settings.get("session"), config)
    stream = stream_block(settings.get("stream") or {}, config)
    tag = (settings.get("partition_key") or {}).get("tag", 1)
    if not isinstance(tag, int) or tag <= 0:
        fail(f"{config}: partition_key.tag must be a positive FIX tag number, got {tag!r}")

    from recon.fixsession import DropCopyGateway

    gateway = DropCopyGateway(session_cfg, stream.producer(), partition_tag=tag)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if duration is not None:
        threading.Timer(duration, stop.set).start()
    target = stream.stream_name if stream.engine == "kinesis" else stream.replay_path()
    console.print(
        f"drop copy {session_cfg.sender_comp_id}->{session_cfg.target_comp_id} at "
        f"{session_cfg.host}:{session_cfg.port} -> {stream.engine} {target} "
        f"(inbound from seq {gateway.store.next_in}, outbound {gateway.store.next_out})"
    )
    started = time.monotonic()
    with console.status("session running (Ctrl-C to log out)"):
        gateway.run(stop)
    gateway.store.close()
    c = gateway.session.counters
    figures = {
        "published": gateway.published,
        "received": c.received,
        "duplicates dropped": c.duplicates_dropped,
        "resend requests": c.resend_requests_sent,
        "gap fills": c.gap_fills_received,
        "connections": gateway.initiator.connections,
        "next inbound seq": gateway.store.next_in,
        "seconds": round(time.monotonic() - started, 1),
    }
    console.print(table("drop-copy gateway", [{"figure": k, "value": v} for k, v in figures.items()]))


def load_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(f"config file {path} not found")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:
        fail(f"{path} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'YAML'}: {exc}")
    if not isinstance(data, dict):
        fail(f"{path}: expected a mapping with 'session' and 'stream' sections")
    return data


def session_config(raw: Any, path: Path):
    from recon.fixsession import SessionConfig

    if not isinstance(raw, dict):
        fail(f"{path}: a 'session' section is required", hint="see `recon dropcopy --help` for an example")
    unknown = set(raw) - _SESSION_KEYS
    if unknown:
        fail(f"{path}: unknown session settings {sorted(unknown)}", hint=f"known: {sorted(_SESSION_KEYS)}")
    missing = {"host", "port", "sender_comp_id", "target_comp_id"} - set(raw)
    if missing:
        fail(f"{path}: session needs {sorted(missing)}")
    try:
        return SessionConfig(
            host=str(raw["host"]),
            port=int(raw["port"]),
            sender_comp_id=str(raw["sender_comp_id"]),
            target_comp_id=str(raw["target_comp_id"]),
            begin_string=str(raw.get("begin_string", "FIX.4.4")),
            heartbeat_s=int(raw.get("heartbeat", 30)),
            reset_on_logon=bool(raw.get("reset_on_logon", False)),
        )
    except (TypeError, ValueError) as exc:
        fail(f"{path}: bad session setting: {exc}")


def stream_block(raw: dict, path: Path):
    from blocks.kinesis import KinesisStream

    unknown = set(raw) - _STREAM_KEYS
    if unknown:
        fail(f"{path}: unknown stream settings {sorted(unknown)}", hint=f"known: {sorted(_STREAM_KEYS)}")
    if "block" in raw:
        try:
            return KinesisStream.load(raw["block"])
        except ValueError as exc:
            fail(f"{path}: cannot load KinesisStream block {raw['block']!r}: {exc}")
    engine = raw.get("engine", "file")
    if engine not in ("kinesis", "file"):
        fail(f"{path}: stream.engine must be kinesis or file, got {engine!r}")
    if engine == "kinesis" and not raw.get("stream_name"):
        fail(f"{path}: stream.stream_name is required for engine kinesis")
    from prefect_aws import AwsCredentials

    if raw.get("aws_credentials_block"):
        try:
            creds = AwsCredentials.load(raw["aws_credentials_block"])
        except ValueError as exc:
            fail(f"{path}: cannot load AwsCredentials block {raw['aws_credentials_block']!r}: {exc}")
    else:
        creds = AwsCredentials()  # the AWS default chain (environment, profile, instance role)
    if raw.get("endpoint_url"):
        params = creds.aws_client_parameters.model_copy(update={"endpoint_url": raw["endpoint_url"]})
        creds = creds.model_copy(update={"aws_client_parameters": params})
    return KinesisStream(
        engine=engine,
        stream_name=raw.get("stream_name"),
        region=raw.get("region", "us-east-1"),
        aws_credentials=creds,
        replay_file=raw.get("replay_file"),
    )
