"""Incident delivery cost: the outbox (enqueue + GET-first upsert + bookkeeping) vs bare POSTs.

All against the Table API emulator on 127.0.0.1 (tests/support), one process, DuckDB break store in a
temp dir. Baseline: one httpx POST per incident on a kept-alive connection (the least any client
can do, with no idempotency). Run: .venv/bin/python bench/bench_incident_outbox.py [--breaks 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from blocks.servicenow import ServiceNow
from blocks.warehouse import Warehouse
from tasks.incident_fields import incident_fields
from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tests.servicenow.sn_builders import make_break, open_breaks
from tests.support.servicenow_emulator import ServiceNowEmulator

USER, PASSWORD = "bench.integration", "bench-pw"


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--breaks", type=int, default=500)
    n = parser.parse_args().breaks
    rows = []
    import pandas  # noqa: F401  - DuckDB's Arrow path imports it once (~1.5 s); keep that out of the timings

    with tempfile.TemporaryDirectory() as tmp:
        emulator = ServiceNowEmulator().start()
        emulator.add_user(USER, PASSWORD)
        emulator.add_group("Trade Support")
        try:
            breaks = [make_break(i, break_id=f"{i:032x}") for i in range(n)]
            with httpx.Client(base_url=emulator.url, auth=(USER, PASSWORD)) as client:
                sn_fields = ServiceNow()
                secs, _ = _timed(lambda: [client.post("/api/now/table/incident", json=incident_fields(sn_fields, b)) for b in breaks])
            rows.append(("baseline: bare POST per incident", n, secs, n))
            emulator.tables["incident"].clear()
            emulator.requests.clear()

            wh = Warehouse(duckdb_path=str(Path(tmp) / "bench.duckdb"))
            wh.run_file("20_break_store.sql")
            open_breaks(wh, breaks, "run-1")
            secs, added = _timed(lambda: enqueue_incident_changes(wh, "run-1"))
            rows.append(("enqueue (warehouse only)", added, secs, 0))
            sn = ServiceNow(instance_url=emulator.url, username=USER, password=PASSWORD)
            secs, counts = _timed(lambda: deliver_outbox(wh, sn, max_batch=n))
            rows.append(("deliver: GET + POST + outbox update", counts["delivered"], secs, len(emulator.requests)))
            emulator.requests.clear()
            wh.execute("UPDATE incident_outbox SET status = 'pending'")
            secs, counts = _timed(lambda: deliver_outbox(wh, sn, max_batch=n))
            rows.append(("redeliver: GET + PATCH (idempotent)", counts["delivered"], secs, len(emulator.requests)))
            assert len(emulator.tables["incident"]) == n
        finally:
            emulator.stop()
    base = rows[0][2]
    print(f"\nincident outbox, {n} breaks, emulator on 127.0.0.1 (single-threaded WSGI per request)\n")
    print(f"{'step':<40}{'rows':>7}{'seconds':>10}{'ms/row':>9}{'requests':>10}{'vs baseline':>13}")
    for name, count, secs, requests in rows:
        per = 1000 * secs / max(count, 1)
        print(f"{name:<40}{count:>7}{secs:>10.3f}{per:>9.2f}{requests:>10}{secs / base:>12.2f}x")


if __name__ == "__main__":
    main()
