"""The ServiceNow block: the break -> incident mapping, bounded retries, Retry-After, OAuth tokens."""

from __future__ import annotations

import pytest

from blocks.servicenow import ServiceNow, ServiceNowAuthError, ServiceNowRejected, ServiceNowUnavailable
from tasks.incident_fields import incident_fields
from tests.servicenow.conftest import CLIENT_ID, CLIENT_SECRET, INTEGRATION_PASSWORD, INTEGRATION_USER
from tests.servicenow.sn_builders import make_break


def test_incident_fields_carry_both_sides_differences_anomaly_and_links(servicenow):
    brk = make_break(0)  # northbridge equity quantity mismatch with an anomaly explanation
    values = incident_fields(servicenow, brk, run_id="daily-2026-11-27-a", prefect_run_url="http://prefect/runs/flow-run/42",
                                        report_url="file:///reports/2026-11-27.html")
    assert values["correlation_id"] == brk["break_id"]
    assert values["assignment_group"] == "Equity Trade Support"
    assert (values["impact"], values["urgency"]) == ("1", "1")  # P1
    assert values["short_description"] == (
        "Recon break QUANTITY_MISMATCH: northbridge FND-EQ-001 US0378331005 buy (18945 USD)")
    text = values["description"]
    for expected in ("quantity", "1500", "1400", "-100", "189.45", "Anomaly score 0.91",
                     "price_vs_vwap_bps=+38.2", "Prefect run: http://prefect/runs/flow-run/42",
                     "Report: file:///reports/2026-11-27.html", "daily-2026-11-27-a", "OMS-20261127000"):
        assert expected in text, expected
    # Updates leave assignment to the analysts.
    assert "assignment_group" not in incident_fields(servicenow, brk, new=False)


@pytest.mark.parametrize("i, group", [(2, "Derivatives Ops"), (4, "Derivatives Ops"), (5, "Fixed Income Ops"),
                                      (1, "Trade Support")])
def test_assignment_rules_first_match_then_default(servicenow, i, group):
    assert incident_fields(servicenow, make_break(i))["assignment_group"] == group


def test_retry_after_is_honoured_and_capped(servicenow, emulator, sleeps):
    emulator.fail_next(1, 429, retry_after=1)
    emulator.fail_next(1, 429, retry_after=120)  # capped at max_backoff_seconds (2.0)
    emulator.fail_next(1, 503)  # no Retry-After: exponential backoff 0.05 * 2**2, jittered 50-100 %
    assert servicenow.find_by_correlation_id("r1") is None
    assert sleeps[:2] == [1.0, 2.0] and 0.1 <= sleeps[2] <= 0.2 and len(sleeps) == 3
    emulator.fail_next(1, 429, retry_after=0)  # a 429 was not processed: even a create retries it
    created = servicenow.create({"short_description": "x", "correlation_id": "r1"})
    assert created["number"] == "INC0010001" and sleeps[3] == 0.0
    assert len(emulator.find("incident", correlation_id="r1")) == 1


def test_create_is_not_retried_after_5xx_but_reads_are(servicenow, emulator, sleeps):
    emulator.fail_next(1, 503)
    with pytest.raises(ServiceNowUnavailable):
        servicenow.create({"short_description": "x"})
    assert len(emulator.api_requests("POST")) == 1
    emulator.fail_next(3, 503)
    assert servicenow.find_by_correlation_id("none") is None
    assert len(sleeps) == 3


def test_retries_are_bounded(servicenow, emulator, sleeps):
    emulator.fail_next(50, 503)
    with pytest.raises(ServiceNowUnavailable, match="after 5 attempt"):
        servicenow.find_by_correlation_id("x")
    assert len(emulator.api_requests()) == 5 and len(sleeps) == 4


def test_unreachable_instance_raises_unavailable(servicenow, emulator):
    emulator.down()
    with pytest.raises(ServiceNowUnavailable, match="cannot reach ServiceNow"):
        servicenow.find_by_correlation_id("x")


def test_refusals_are_not_retried(servicenow, emulator, sleeps):
    created = servicenow.create({"short_description": "x"})
    with pytest.raises(ServiceNowRejected, match="403 Operation Failed"):
        servicenow.update(created["sys_id"], {"state": "6"})  # data policy: close_code/notes required
    assert not sleeps


def test_wrong_password_is_an_auth_error(emulator):
    block = ServiceNow(instance_url=emulator.url, username=INTEGRATION_USER, password="not-it")
    with pytest.raises(ServiceNowAuthError, match="401"):
        block.find_by_correlation_id("x")


def test_oauth_token_is_reused_and_renewed_when_it_expires(emulator):
    block = ServiceNow(instance_url=emulator.url, auth="oauth", oauth_grant="client_credentials",
                       client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    for n in range(3):
        block.create({"short_description": f"o{n}"})
    assert len([r for r in emulator.requests if r["path"] == "/oauth_token.do"]) == 1
    emulator.tokens.clear()  # the instance forgot (or expired) our token
    assert block.create({"short_description": "after expiry"})["sys_created_by"] == INTEGRATION_USER
    assert len([r for r in emulator.requests if r["path"] == "/oauth_token.do"]) == 2


def test_oauth_password_grant_acts_as_the_user(emulator):
    block = ServiceNow(instance_url=emulator.url, auth="oauth", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       username=INTEGRATION_USER, password=INTEGRATION_PASSWORD)
    assert block.create({"short_description": "pw grant"})["sys_created_by"] == INTEGRATION_USER
    bad = ServiceNow(instance_url=emulator.url, auth="oauth", client_id=CLIENT_ID, client_secret="wrong",
                     username=INTEGRATION_USER, password=INTEGRATION_PASSWORD)
    with pytest.raises(ServiceNowAuthError, match="OAuth token request refused"):
        bad.create({"short_description": "x"})


def test_query_pages_through_x_total_count(servicenow, emulator):
    servicenow.page_size = 3
    for n in range(7):
        emulator.insert("incident", {"short_description": f"q{n}", "correlation_id": f"q{n}"}, INTEGRATION_USER)
    rows = list(servicenow.query("correlation_idSTARTSWITHq^ORDERBYcorrelation_id", ["correlation_id"]))
    assert [r["correlation_id"] for r in rows] == [f"q{n}" for n in range(7)]
    offsets = [r["args"]["sysparm_offset"] for r in emulator.api_requests("GET")]
    assert offsets == ["0", "3", "6"]
