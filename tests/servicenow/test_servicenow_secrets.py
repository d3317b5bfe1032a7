"""Credentials never appear in logs, exceptions, the outbox, the incidents or the block's dump."""

from __future__ import annotations

import base64
import logging

import pytest

from blocks.servicenow import ServiceNow, ServiceNowError
from tasks.incident_sync import sync_incident_states
from tasks.incidents import deliver_outbox, enqueue_incident_changes
from tests.servicenow.conftest import CLIENT_ID, CLIENT_SECRET, INTEGRATION_PASSWORD, INTEGRATION_USER
from tests.servicenow.sn_builders import make_break, open_breaks


def _blocks(emulator, sleeps) -> list[ServiceNow]:
    common = {"instance_url": emulator.url, "backoff_seconds": 0.01, "max_backoff_seconds": 0.01}
    blocks = [
        ServiceNow(**common, username=INTEGRATION_USER, password=INTEGRATION_PASSWORD),
        ServiceNow(**common, auth="oauth", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                   username=INTEGRATION_USER, password=INTEGRATION_PASSWORD),
        ServiceNow(**common, auth="oauth", oauth_grant="client_credentials", client_id=CLIENT_ID,
                   client_secret=CLIENT_SECRET),
    ]  # fmt: skip
    for b in blocks:
        b._sleep = sleeps
    return blocks


def test_no_secret_in_logs_exceptions_outbox_or_incidents(wh, emulator, sleeps, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # httpx / httpcore at their most talkative too
    texts: list[str] = []
    basic, pw_oauth, cc_oauth = _blocks(emulator, sleeps)
    open_breaks(wh, [make_break(i) for i in range(6)], "run-1")
    enqueue_incident_changes(wh, "run-1", "file:///r.html", "http://127.0.0.1:4200/runs/1")

    # Happy paths with each kind of credential, sync included.
    for block in (basic, pw_oauth, cc_oauth):
        deliver_outbox(wh, block)
        wh.execute("UPDATE incident_outbox SET status = 'pending'")
        sync_incident_states(wh, block)
    # Every failure mode, through the outbox (last_error) and directly (exception text).
    emulator.fail_next(200, 503)
    deliver_outbox(wh, basic)
    emulator._faults.clear()
    wrong = [
        ServiceNow(instance_url=emulator.url, username=INTEGRATION_USER, password=INTEGRATION_PASSWORD + "x"),
        ServiceNow(instance_url=emulator.url, auth="oauth", client_id=CLIENT_ID, client_secret=CLIENT_SECRET + "x",
                   username=INTEGRATION_USER, password=INTEGRATION_PASSWORD),
        ServiceNow(instance_url=emulator.url, auth="oauth", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                   username=INTEGRATION_USER, password=INTEGRATION_PASSWORD + "x"),
    ]  # fmt: skip
    for block in wrong:
        deliver_outbox(wh, block)
        with pytest.raises(ServiceNowError) as info:
            block.find_by_correlation_id("x")
        texts += [str(info.value), repr(info.value), str(info.value.__cause__ or ""), str(info.value.__context__)]
    emulator.down()
    for block in (basic, pw_oauth):
        block._token = None
        deliver_outbox(wh, block)
        with pytest.raises(ServiceNowError) as info:
            block.find_by_correlation_id("x")
        texts += [str(info.value), repr(info.value), str(info.value.__context__)]
    emulator.up()

    tokens = [t for t in emulator.tokens] + [t for t in emulator.refresh_tokens]
    assert len(tokens) >= 4  # the OAuth paths really ran
    secrets = [INTEGRATION_PASSWORD, CLIENT_SECRET, base64.b64encode(
        f"{INTEGRATION_USER}:{INTEGRATION_PASSWORD}".encode()).decode(), *tokens]  # fmt: skip

    out = capsys.readouterr()
    texts += [caplog.text, out.out, out.err]
    texts += [str(r) for r in wh.fetch_rows("SELECT * FROM incident_outbox")]
    texts += [str(r) for r in wh.fetch_rows("SELECT * FROM incident_links")]
    texts += [str(r) for r in wh.fetch_rows("SELECT * FROM break_events")]
    texts += [str(rec) for rec in emulator.tables["incident"].values()]
    for block in (basic, pw_oauth, cc_oauth, *wrong):
        texts += [repr(block), str(block), block.model_dump_json(), str(block.model_dump())]
    assert "last_error" in str(texts) and "cannot reach ServiceNow" in "".join(texts)  # the grep saw failures
    assert "401" in "".join(texts)
    blob = "\n".join(texts)
    leaked = [s for s in secrets if s in blob]
    assert not leaked, f"{len(leaked)} secret value(s) leaked"
