"""ServiceNow throttling, failing or down: incidents are delayed, never lost or doubled, never block."""

from __future__ import annotations

from datetime import timedelta

from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tests.servicenow.sn_builders import T0, close_breaks, make_break, open_breaks

N = 12


def _state(emulator) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rec in emulator.tables["incident"].values():
        out.setdefault(rec["correlation_id"], []).append(rec["state"])
    return out


def _drain(wh, servicenow, start, rounds: int = 20) -> list[dict]:
    """Deliver as a scheduler would: again and again, the clock moving on by an hour each time."""
    results = []
    for k in range(rounds):
        results.append(deliver_outbox(wh, servicenow, now=start + timedelta(hours=k)))
        if results[-1]["pending"] == 0:
            break
    return results


def test_503_burst_outlasting_the_retries_then_recovery(wh, emulator, servicenow):
    breaks = [make_break(i) for i in range(N)]
    open_breaks(wh, breaks, "run-1")
    enqueue_incident_changes(wh, "run-1")
    emulator.fail_next(40, 503)  # longer than one request's retry budget (5 attempts)
    results = _drain(wh, servicenow, T0)
    assert results[0]["failed"] == 1 and results[0]["pending"] == N  # stopped at the first row, kept all
    assert results[-1]["pending"] == 0
    assert sum(r["delivered"] for r in results) == N
    states = _state(emulator)
    assert set(states) == {b["break_id"] for b in breaks} and all(len(v) == 1 for v in states.values())
    first = wh.fetch_rows("SELECT attempts, last_error FROM incident_outbox ORDER BY seq LIMIT 1")[0]
    assert first["attempts"] >= 2 and first["last_error"] is None


def test_429_bursts_with_retry_after_and_503_on_creates(wh, emulator, servicenow, sleeps):
    breaks = [make_break(i) for i in range(N)]
    open_breaks(wh, breaks, "run-1")
    enqueue_incident_changes(wh, "run-1")
    emulator.fail_next(3, 429, retry_after=1)
    emulator.fail_next(2, 503, method="POST")  # a create refused by a failing node (not processed)
    emulator.fail_next(2, 504, after_processing=True, method="POST")  # a create done, answer lost
    results = _drain(wh, servicenow, T0)
    assert sum(r["delivered"] for r in results) == N and results[-1]["pending"] == 0
    assert sleeps.count(1.0) == 3  # the Retry-After was honoured
    states = _state(emulator)
    assert len(states) == N and all(len(v) == 1 for v in states.values())
    # The run closes half the breaks while ServiceNow throttles again: resolutions arrive, once.
    close_breaks(wh, [b["break_id"] for b in breaks[: N // 2]], "run-2", T0 + timedelta(hours=3))
    enqueue_incident_changes(wh, "run-2")
    emulator.fail_next(6, 429, retry_after=0)
    emulator.fail_next(8, 503, method="PATCH")
    results = _drain(wh, servicenow, T0 + timedelta(hours=4))
    assert results[-1]["pending"] == 0
    states = _state(emulator)
    assert sorted(v[0] for v in states.values()) == ["1"] * (N // 2) + ["6"] * (N // 2)
    assert len(emulator.tables["incident"]) == N


def test_instance_down_leaves_rows_pending_quickly_without_raising(wh, emulator, servicenow, sleeps):
    breaks = [make_break(i) for i in range(N)]
    open_breaks(wh, breaks, "run-1")
    enqueue_incident_changes(wh, "run-1")
    emulator.down()
    result = deliver_outbox(wh, servicenow, now=T0)
    assert 0 < sum(sleeps) < 5  # one row's bounded retries (the waits it would spend), then the batch stops
    assert result == {"delivered": 0, "failed": 1, "refused": 0, "pending": N}
    row = wh.fetch_rows("SELECT attempts, next_attempt_at, last_error FROM incident_outbox ORDER BY seq")[0]
    assert row["attempts"] == 1 and row["next_attempt_at"] == T0 + timedelta(seconds=30)
    assert "cannot reach ServiceNow" in row["last_error"]
    # Not due yet: the next delivery leaves the row (and the rows of the same break) alone.
    emulator.up()
    early = deliver_outbox(wh, servicenow, now=T0 + timedelta(seconds=10))
    assert early["delivered"] == N - 1 and early["pending"] == 1
    late = deliver_outbox(wh, servicenow, now=T0 + timedelta(minutes=1))
    assert late == {"delivered": 1, "failed": 0, "refused": 0, "pending": 0}
    assert len(emulator.tables["incident"]) == N


def test_backoff_between_deliveries_grows_and_is_capped(wh, emulator, servicenow):
    open_breaks(wh, [make_break(0)], "run-1")
    enqueue_incident_changes(wh, "run-1")
    emulator.down()
    now = T0
    delays = []
    for _ in range(9):
        deliver_outbox(wh, servicenow, now=now)
        nxt = wh.scalar("SELECT next_attempt_at FROM incident_outbox")
        delays.append((nxt - now).total_seconds())
        now = nxt
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert wh.scalar("SELECT attempts FROM incident_outbox") == 9


def test_a_failing_warehouse_is_reported_not_raised(tmp_path, servicenow):
    from blocks.warehouse import Warehouse

    broken = Warehouse(duckdb_path=str(tmp_path))  # a directory: DuckDB cannot open it
    result = deliver_outbox(broken, servicenow)
    assert result["delivered"] == 0 and "error" in result
