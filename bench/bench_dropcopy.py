"""Drop-copy gateway throughput: a QuickFIX acceptor bursts ExecutionReports at the gateway.

Rows (same run, same N messages of ~200 bytes, 20 accounts): the baseline is framing + header
parsing of those very bytes in-process (no socket, no session); then the gateway end to end
(QuickFIX -> TCP -> session layer -> sink, acknowledged) with a null sink, a file sink (fsync per
read) and a 4-shard kinesalite stream. The acceptor runs in its own process; kinesalite in node.
Run: .venv/bin/python bench/bench_dropcopy.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from blocks.kinesis import KinesisStream
from recon.fix.framing import StreamFramer
from recon.fixsession import DropCopyGateway, SequenceStore, SessionConfig
from recon.fixsession.messages import parse
from tests.support.kinesalite import Kinesalite
from tests.support.quickfix_acceptor import SENDER, TARGET, AcceptorProcess


class NullSink:
    def put(self, records) -> None:
        pass


class Recording:
    """Wraps a sink: keeps the raw messages and the time the last one was accepted."""

    def __init__(self, inner):
        self.inner, self.raw, self.done_at = inner, [], 0.0

    def put(self, records) -> None:
        self.inner.put(records)
        self.raw += [d for _k, d in records]
        self.done_at = time.time()


def through_gateway(workdir: Path, sink, n: int) -> tuple[float, list[bytes]]:
    acceptor = AcceptorProcess(workdir / "qf")
    recording = Recording(sink)
    cfg = SessionConfig("127.0.0.1", acceptor.port, TARGET, SENDER, heartbeat_s=30)
    gateway = DropCopyGateway(cfg, recording, store=SequenceStore(workdir / "seq.sqlite"))
    stop = threading.Event()
    thread = threading.Thread(target=gateway.run, args=(stop,), daemon=True)
    thread.start()
    try:
        acceptor.wait_logged_on(30)
        started = acceptor.burst(n)
        deadline = time.monotonic() + 300
        while len(recording.raw) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(recording.raw) < n:
            raise RuntimeError(f"only {len(recording.raw)} of {n} messages published")
        return recording.done_at - started, recording.raw
    finally:
        stop.set()
        thread.join(10)
        acceptor.stop()


def parse_only(raw: list[bytes]) -> float:
    data = b"".join(raw)
    start = time.perf_counter()
    messages, _ = StreamFramer().feed(data)
    for m in messages:
        parse(m)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    n = parser.parse_args().messages
    tmp = Path(tempfile.mkdtemp(prefix="bench_dropcopy_"))
    rows = []
    secs, raw = through_gateway(tmp / "null", NullSink(), n)
    rows.append(("baseline: framing + header parse, in-process", parse_only(raw)))
    rows.append(("gateway, null sink", secs))
    secs, _ = through_gateway(tmp / "file", KinesisStream(engine="file", replay_file=str(tmp / "log")).producer(), n)
    rows.append(("gateway -> file sink (fsync per read)", secs))
    server = Kinesalite(tmp).start()
    try:
        stream = KinesisStream.local(server.endpoint, server.create_stream(4))
        secs, _ = through_gateway(tmp / "kinesis", stream.producer(), n)
        rows.append(("gateway -> kinesalite, 4 shards", secs))
    finally:
        server.stop()

    table = Table(title=f"Drop-copy gateway: {n:,} ExecutionReports (~{len(raw[0])} B) from a QuickFIX acceptor")
    for col in ("path", "messages", "seconds", "messages/s"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for path, secs in rows:
        table.add_row(path, f"{n:,}", f"{secs:.2f}", f"{n / secs:,.0f}")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
