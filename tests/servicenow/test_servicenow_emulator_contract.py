"""The emulator keeps the published Table API contract: the other tests are only as good as this."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.servicenow.conftest import CLIENT_ID, CLIENT_SECRET, INTEGRATION_PASSWORD, INTEGRATION_USER

AUTH = (INTEGRATION_USER, INTEGRATION_PASSWORD)


@pytest.fixture
def api(emulator):
    with httpx.Client(base_url=emulator.url + "/api/now/table", auth=AUTH, timeout=5) as client:
        yield client


def _incident(api, **values) -> dict:
    response = api.post("/incident", json=values)
    assert response.status_code == 201, response.text
    return response.json()["result"]


def test_create_returns_201_location_envelope_and_string_values(api, emulator):
    response = api.post("/incident", json={"short_description": "Qty 1500 vs 1400", "impact": 2, "urgency": 1,
                                            "correlation_id": "a" * 32, "active": True})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"result"}
    rec = body["result"]
    assert re.fullmatch(r"[0-9a-f]{32}", rec["sys_id"])
    assert rec["number"] == "INC0010001"
    assert response.headers["Location"] == f"{emulator.url}/api/now/table/incident/{rec['sys_id']}"
    assert rec["impact"] == "2" and rec["urgency"] == "1" and rec["priority"] == "2" and rec["active"] == "true"
    assert rec["state"] == "1" and rec["correlation_id"] == "a" * 32
    assert all(isinstance(v, str | dict) for v in rec.values())
    assert rec["opened_by"]["value"] and rec["opened_by"]["link"].startswith(emulator.url)
    assert _incident(api, short_description="second")["number"] == "INC0010002"


def test_query_operators_ordering_and_fields(api):
    for n, (desc, cat) in enumerate([("AAPL qty", "inquiry"), ("MSFT price", "software"), ("AAPL price", "inquiry"),
                                     ("ESZ6 missing", "network")]):
        _incident(api, short_description=desc, category=cat, correlation_id=f"c{n}", impact=str(n % 3 + 1))

    def query(q: str, **extra) -> list[str]:
        r = api.get("/incident", params={"sysparm_query": q, "sysparm_fields": "short_description", **extra})
        assert r.status_code == 200
        return [x["short_description"] for x in r.json()["result"]]

    assert query("category=inquiry^ORDERBYshort_description") == ["AAPL price", "AAPL qty"]
    assert query("category!=inquiry^ORDERBYDESCshort_description") == ["MSFT price", "ESZ6 missing"]
    assert query("short_descriptionLIKEprice^ORDERBYshort_description") == ["AAPL price", "MSFT price"]
    assert query("short_descriptionSTARTSWITHaapl^categoryLIKEinq^ORDERBYcorrelation_id") == ["AAPL qty", "AAPL price"]
    assert query("correlation_id=c0^ORcorrelation_id=c3^ORDERBYcorrelation_id") == ["AAPL qty", "ESZ6 missing"]
    assert query("correlation_idINc1,c2^ORDERBYcorrelation_id") == ["MSFT price", "AAPL price"]
    assert query("impact>=2^ORDERBYDESCimpact") == ["AAPL price", "MSFT price"]
    assert query("impact<=1^ORDERBYDESCcorrelation_id^ORDERBYshort_description") == ["ESZ6 missing", "AAPL qty"]
    assert query("assigned_toISEMPTY^category=network") == ["ESZ6 missing"]
    first = api.get("/incident", params={"sysparm_limit": 1, "sysparm_fields": "number,state"}).json()["result"][0]
    assert set(first) == {"number", "state"}
    bad = api.get("/incident", params={"sysparm_query": "state~~3"})
    assert bad.status_code == 400 and bad.json()["status"] == "failure"


def test_pagination_headers(api):
    for n in range(5):
        _incident(api, short_description=f"break {n}", correlation_id=f"p{n}")
    r = api.get("/incident", params={"sysparm_query": "ORDERBYnumber", "sysparm_limit": 2, "sysparm_offset": 2})
    assert r.headers["X-Total-Count"] == "5"
    assert [x["number"] for x in r.json()["result"]] == ["INC0010003", "INC0010004"]
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>;rel="(\w+)"', r.headers["Link"]))
    assert set(links) == {"first", "prev", "next", "last"}
    assert "sysparm_offset=4" in links["next"] and "sysparm_offset=0" in links["prev"]
    assert "sysparm_offset=4" in links["last"] and "sysparm_query=ORDERBYnumber" in links["next"]
    last = api.get(links["last"]).json()["result"]
    assert [x["number"] for x in last] == ["INC0010005"]


def test_display_values_for_choices_and_references(api, emulator):
    jane = emulator.find("sys_user", user_name="jane.analyst")[0]["sys_id"]
    rec = _incident(api, short_description="x", assigned_to=jane, assignment_group="Derivatives Ops", state="3")
    assert rec["assignment_group"]["value"] == emulator.find("sys_user_group", name="Derivatives Ops")[0]["sys_id"]
    shown = api.get(f"/incident/{rec['sys_id']}", params={"sysparm_display_value": "true"}).json()["result"]
    assert shown["state"] == "On Hold" and shown["assigned_to"] == "Jane Analyst"
    both = api.get(f"/incident/{rec['sys_id']}", params={"sysparm_display_value": "all"}).json()["result"]
    assert both["state"] == {"display_value": "On Hold", "value": "3"}
    assert both["assigned_to"]["value"] == jane and both["assigned_to"]["display_value"] == "Jane Analyst"


def test_update_delete_and_error_shapes(api):
    rec = _incident(api, short_description="x")
    patched = api.patch(f"/incident/{rec['sys_id']}", json={"state": "2", "work_notes": "looking"})
    assert patched.status_code == 200 and patched.json()["result"]["state"] == "2"
    assert patched.json()["result"]["sys_mod_count"] == "1"
    put = api.put(f"/incident/{rec['sys_id']}", json={"urgency": "1"})
    assert put.status_code == 200 and put.json()["result"]["state"] == "2"  # PUT updates the given fields only
    refused = api.patch(f"/incident/{rec['sys_id']}", json={"state": "6"})
    assert refused.status_code == 403 and "Resolution code" in refused.json()["error"]["detail"]
    resolved = api.patch(f"/incident/{rec['sys_id']}", json={"state": "6", "close_code": "Solution provided",
                                                              "close_notes": "booked late"})
    assert resolved.json()["result"]["resolved_by"]["value"]
    assert api.delete(f"/incident/{rec['sys_id']}").status_code == 204
    missing = api.get(f"/incident/{rec['sys_id']}")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "No Record found",
                                        "detail": "Record doesn't exist or ACL restricts the record retrieval"},
                              "status": "failure"}
    assert api.get("/no_such_table").json()["error"]["message"] == "Invalid table no_such_table"
    bad = api.post("/incident", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["status"] == "failure"


def test_basic_auth_failures_are_401(emulator):
    url = emulator.url + "/api/now/table/incident"
    for auth in (None, (INTEGRATION_USER, "wrong"), ("nobody", INTEGRATION_PASSWORD)):
        r = httpx.get(url, auth=auth)
        assert r.status_code == 401
        assert r.json() == {"error": {"message": "User Not Authenticated",
                                      "detail": "Required to provide Auth information"}, "status": "failure"}


def test_oauth_password_and_client_credentials_grants(emulator):
    token_url = emulator.url + "/oauth_token.do"
    for form in ({"grant_type": "password", "username": "jane.analyst", "password": "jane.analyst-pw"},
                 {"grant_type": "client_credentials"}):
        r = httpx.post(token_url, data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form})
        assert r.status_code == 200
        body = r.json()
        assert body["token_type"] == "Bearer" and int(body["expires_in"]) > 0
        api = httpx.post(emulator.url + "/api/now/table/incident", json={"short_description": "via oauth"},
                         headers={"Authorization": f"Bearer {body['access_token']}"})
        assert api.status_code == 201
    assert emulator.find("incident", sys_created_by="jane.analyst")
    assert emulator.find("incident", sys_created_by=INTEGRATION_USER)
    refused = httpx.post(token_url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                          "client_secret": "nope"})
    assert refused.status_code == 401 and refused.json()["error_description"] == "access_denied"
    stale = httpx.get(emulator.url + "/api/now/table/incident", headers={"Authorization": "Bearer forged"})
    assert stale.status_code == 401


def test_fault_injection_429_503_and_down(api, emulator):
    emulator.fail_next(1, 429, retry_after=7)
    emulator.fail_next(1, 503)
    r = api.get("/incident")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7" and r.json()["status"] == "failure"
    assert api.get("/incident").status_code == 503
    assert api.get("/incident").status_code == 200
    emulator.down()
    with pytest.raises(httpx.ConnectError):
        api.get("/incident")
    emulator.up()
    assert api.get("/incident").status_code == 200
    assert [r["status"] for r in emulator.api_requests("GET")] == [429, 503, 200, 200]
