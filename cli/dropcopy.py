"""`recon dropcopy --config FILE`: run the FIX drop-copy gateway (session -> stream)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

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
    session_cfg = settings.session.session_config()
    stream = stream_block(settings.stream, config)
    tag = settings.partition_key.tag

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


def load_config(path: Path):
    """The file as a DropCopyConfig (recon/fixsession/config.py); a bad one exits 2, naming the field."""
    from recon.config import ConfigError, load_file
    from recon.fixsession.config import DropCopyConfig

    if not path.is_file():
        fail(f"config file {path} not found")
    try:
        return load_file(DropCopyConfig, path)
    except ConfigError as exc:
        fail(str(exc), hint="`recon dropcopy --example` prints a complete config")


def stream_block(section, path: Path):
    """The config's stream section (a StreamSection) as a KinesisStream block."""
    from blocks.kinesis import KinesisStream

    if section.block is not None:
        try:
            return KinesisStream.load(section.block)
        except ValueError as exc:
            fail(f"{path}: cannot load KinesisStream block {section.block!r}: {exc}")
    from prefect_aws import AwsCredentials

    if section.aws_credentials_block:
        try:
            creds = AwsCredentials.load(section.aws_credentials_block)
        except ValueError as exc:
            fail(f"{path}: cannot load AwsCredentials block {section.aws_credentials_block!r}: {exc}")
    else:
        creds = AwsCredentials()  # the AWS default chain (environment, profile, instance role)
    if section.endpoint_url:
        params = creds.aws_client_parameters.model_copy(update={"endpoint_url": section.endpoint_url})
        creds = creds.model_copy(update={"aws_client_parameters": params})
    return KinesisStream(
        engine=section.engine,
        stream_name=section.stream_name,
        region=section.region,
        aws_credentials=creds,
        replay_file=section.replay_file,
    )
