"""A streaming reconciliation process for the SIGKILL test.

usage: python streamrecon_worker.py ENDPOINT STREAM WINDOW BATCH_SIZE [PAUSE_AT_BATCH]

Runs the consumer loop with the plain per-batch steps (RECON_HOME names the warehouse). With
PAUSE_AT_BATCH, that batch's drop-copy executions are committed, then the worker prints PAUSED and
waits - before matching, publishing and checkpointing - so the test can SIGKILL it mid-batch.
"""

from __future__ import annotations

import sys
import time

from streamrecon_helpers import SENDERS

from blocks.kinesis import KinesisStream
from blocks.warehouse import get_warehouse
from tasks.stream import ingest_stream_batch
from tasks.stream_consume import consume, reconcile_batch
from tasks.stream_options import StreamOptions


def main() -> None:
    endpoint, stream, window, batch_size = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    pause_at = int(sys.argv[5]) if len(sys.argv) > 5 else -1
    seen = 0

    def handler(batch, *args):
        nonlocal seen
        if batch:
            seen += 1
        if seen == pause_at and batch:
            ingest_stream_batch(batch, stream, args[1], args[2], args[4])
            print("PAUSED", flush=True)
            time.sleep(600)
        return reconcile_batch(batch, *args)

    consumer = KinesisStream.local(endpoint, stream).consumer(get_warehouse())
    options = StreamOptions(senders=SENDERS, batch_size=batch_size, batch_seconds=0.3, window_seconds=window,
                            stop_when_idle=1.0)  # fmt: skip
    summary = consume([(consumer, None)], stream, handler, options)
    print("DONE", summary["records"], flush=True)


if __name__ == "__main__":
    main()
