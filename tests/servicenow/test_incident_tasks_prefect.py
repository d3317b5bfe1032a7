"""The @task wrappers under a real Prefect server: saved blocks by name, logs free of credentials."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prefect import flow

from blocks.servicenow import ServiceNow
from blocks.warehouse import Warehouse, get_warehouse, reset_warehouses
from tasks.incident_sync import sync_incident_states_task
from tasks.incidents import deliver_outbox_task, enqueue_incident_changes_task
from tests.servicenow.conftest import INTEGRATION_PASSWORD, INTEGRATION_USER
from tests.servicenow.sn_builders import make_break, open_breaks


@flow(name="publish-incidents-test")
def publish_incidents(run_id: str, warehouse_ref: str, servicenow_ref: str | None) -> tuple[int, dict, dict]:
    queued = enqueue_incident_changes_task(run_id, warehouse_ref, "file:///r.html", "http://127.0.0.1:4200/r/1")
    delivered = deliver_outbox_task(warehouse_ref, servicenow_ref)
    synced = sync_incident_states_task(warehouse_ref, servicenow_ref)
    return queued, delivered, synced


async def _api_logs(since: datetime | None = None) -> str:
    """Log lines the session's API server holds (all, or since a moment), paged, after a flush."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterTimestamp
    from prefect.logging.handlers import APILogHandler

    await APILogHandler.aflush()
    window = LogFilter(timestamp=LogFilterTimestamp(after_=since)) if since else None
    lines: list[str] = []
    async with get_client() as client:
        while True:
            page = await client.read_logs(window, limit=200, offset=len(lines))
            lines += [log.message for log in page]
            if len(page) < 200:
                return "\n".join(lines)


@pytest.mark.slow
def test_tasks_run_in_a_prefect_flow_with_saved_blocks(prefect_harness, tmp_path, emulator):
    Warehouse(duckdb_path=str(tmp_path / "flow.duckdb")).save("servicenow-test-wh", overwrite=True)
    ServiceNow(instance_url=emulator.url, username=INTEGRATION_USER, password=INTEGRATION_PASSWORD,
               backoff_seconds=0.01).save("servicenow-test", overwrite=True)  # fmt: skip
    wh = get_warehouse("servicenow-test-wh")
    since = datetime.now(UTC)
    try:
        wh.run_file("20_break_store.sql")
        open_breaks(wh, [make_break(i) for i in range(6)], "run-1")
        # Embedded default first: no ServiceNow block -> everything stays queued locally.
        queued, delivered, synced = publish_incidents("run-1", "servicenow-test-wh", None)
        assert queued == 6 and delivered["pending"] == 6 and synced["read"] == 0
        assert not emulator.api_requests()
        emulator.fail_next(3, 429, retry_after=0)
        queued, delivered, synced = publish_incidents("run-1", "servicenow-test-wh", "servicenow-test")
        assert queued == 0 and delivered == {"delivered": 6, "failed": 0, "refused": 0, "pending": 0}
        assert synced["read"] == 6
        assert len(emulator.tables["incident"]) == 6
        # Down entirely: the flow still completes (the tasks never raise into it).
        emulator.down()
        wh.execute("UPDATE incident_outbox SET status = 'pending'")
        _, delivered, synced = publish_incidents("run-1", "servicenow-test-wh", "servicenow-test")
        assert delivered["pending"] == 6 and "cannot reach ServiceNow" in synced["error"]
        emulator.up()
        assert "incident outbox" in asyncio.run(_api_logs(since))  # this test's own runs reached the API
        assert INTEGRATION_PASSWORD not in asyncio.run(_api_logs())
    finally:
        reset_warehouses()
