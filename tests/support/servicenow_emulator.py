"""A ServiceNow Table API emulator: a real HTTP server on 127.0.0.1 for tests.

No ServiceNow can run here, so this follows the published REST Table API contract instead:
`/api/now/table/{table}[/{sys_id}]`; POST -> 201 + Location; GET/PATCH/PUT -> 200; DELETE -> 204;
bodies in a `{"result": ...}` envelope; every value a string; sys_id 32 hex chars; incident numbers
INC0010001...; reference fields as {"link", "value"}; `sysparm_query` / `_limit` / `_offset` /
`_fields` / `_display_value`; `X-Total-Count` and `Link` headers; errors as
`{"error": {"message", "detail"}, "status": "failure"}`; Basic auth and OAuth (`/oauth_token.do`).

Test controls: `fail_next(k, status, retry_after)` answers the next k requests with 503/429,
`down()` / `up()` close and reopen the port, `requests` records every request.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.support.servicenow_query import QueryError, parse

# Reference fields per table -> referenced table; choice labels for display_value=true.
REFERENCES = {
    "incident": {"assigned_to": "sys_user", "assignment_group": "sys_user_group", "resolved_by": "sys_user",
                 "opened_by": "sys_user", "caller_id": "sys_user", "closed_by": "sys_user"},
}  # fmt: skip
DISPLAY_FIELD = {"sys_user": "name", "sys_user_group": "name", "incident": "number"}
CHOICES = {
    "state": {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"},
    "impact": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "urgency": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "priority": {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"},
}
TABLES = ("incident", "sys_user", "sys_user_group")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the emulator records requests itself
        pass


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _as_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _error(status: int, message: str, detail: str | None = None, headers: dict | None = None) -> Response:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def _ok(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class ServiceNowEmulator:
    def __init__(self, clock: Callable[[], datetime] = _now, token_lifetime_seconds: int = 1799) -> None:
        self.clock = clock
        self.token_lifetime = token_lifetime_seconds
        self.tables: dict[str, dict[str, dict[str, str]]] = {t: {} for t in TABLES}
        self.passwords: dict[str, str] = {}  # user_name -> password
        self.oauth_clients: dict[str, tuple[str, str]] = {}  # client_id -> (secret, user_name it acts as)
        self.tokens: dict[str, tuple[str, datetime]] = {}  # access token -> (user_name, expiry)
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # refresh token -> (user_name, client_id)
        self.requests: list[dict] = []
        self._faults: list[tuple[int, int | None, bool, str | None]] = []
        self._next_number = 10001
        self._lock = threading.RLock()
        self._server = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceNowEmulator:
        self._server = make_server("127.0.0.1", self.port, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="servicenow-emulator",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def down(self) -> None:
        """The instance is unreachable: connections are refused until up()."""
        self.stop()

    def up(self) -> None:
        self.start()

    # ---- test controls ------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 503, retry_after: int | None = None,
                  after_processing: bool = False, method: str | None = None) -> None:  # fmt: skip
        """The next `count` requests (of `method`, if given) answer `status`; after_processing=True runs
        them first (the write happens, the client sees an error: a response lost on the way back)."""
        with self._lock:
            self._faults.extend([(status, retry_after, after_processing, method)] * count)

    def _take_fault(self, method: str) -> tuple | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault[3] in (None, method):
                    return self._faults.pop(i)
        return None

    def add_user(self, user_name: str, password: str, name: str | None = None) -> str:
        self.passwords[user_name] = password
        return self.insert("sys_user", {"user_name": user_name, "name": name or user_name}, user_name)

    def add_group(self, name: str) -> str:
        return self.insert("sys_user_group", {"name": name}, "admin")

    def add_oauth_client(self, client_id: str, client_secret: str, acts_as: str) -> None:
        self.oauth_clients[client_id] = (client_secret, acts_as)

    def find(self, table: str, **equals: str) -> list[dict[str, str]]:
        rows = self.tables[table].values()
        return [dict(r) for r in rows if all(r.get(k, "") == v for k, v in equals.items())]

    def api_requests(self, method: str | None = None) -> list[dict]:
        return [r for r in self.requests if r["path"].startswith("/api/") and (method is None or r["method"] == method)]

    # ---- records --------------------------------------------------------------------------------
    def insert(self, table: str, values: dict, user: str) -> str:
        with self._lock:
            now = self.clock().strftime("%Y-%m-%d %H:%M:%S")
            sys_id = uuid.uuid4().hex
            record = {"sys_id": sys_id, "sys_created_on": now, "sys_updated_on": now, "sys_created_by": user,
                      "sys_updated_by": user, "sys_mod_count": "0"}  # fmt: skip
            if table == "incident":
                record.update({"number": f"INC{self._next_number:07d}", "state": "1", "impact": "3",
                               "urgency": "3", "active": "true", "opened_at": now,
                               "opened_by": self._user_id(user)})  # fmt: skip
                self._next_number += 1
            record.update({k: self._store_value(table, k, v) for k, v in values.items() if not k.startswith("sys_")})
            self._derive(table, record, user)
            self.tables[table][sys_id] = record
            return sys_id

    def _update(self, table: str, record: dict[str, str], values: dict, user: str) -> Response | None:
        changed = {k: self._store_value(table, k, v) for k, v in values.items() if not k.startswith("sys_")}
        merged = {**record, **changed}
        if table == "incident" and merged.get("state") in ("6", "7"):
            missing = [label for f, label in (("close_code", "Resolution code"), ("close_notes", "Resolution notes"))
                       if not merged.get(f)]  # fmt: skip
            if missing:  # the out-of-box data policy on resolved incidents applies to web services too
                detail = "Data Policy Exception: \n The following fields are mandatory: " + ", ".join(missing)
                return _error(403, "Operation Failed", detail)
        if table == "incident" and changed.get("state") in ("6", "7") and record.get("state") not in ("6", "7"):
            merged["resolved_at"] = self.clock().strftime("%Y-%m-%d %H:%M:%S")
            merged["resolved_by"] = self._user_id(user)
        merged["sys_updated_on"] = self.clock().strftime("%Y-%m-%d %H:%M:%S")
        merged["sys_updated_by"] = user
        merged["sys_mod_count"] = str(int(record["sys_mod_count"]) + 1)
        self._derive(table, merged, user)
        record.clear()
        record.update(merged)
        return None

    def _derive(self, table: str, record: dict[str, str], user: str) -> None:
        if table != "incident":
            return
        impact, urgency = int(record.get("impact") or 3), int(record.get("urgency") or 3)
        record["priority"] = str(max(1, min(5, impact + urgency - 1)))
        record["active"] = "false" if record.get("state") in ("7", "8") else "true"

    def _user_id(self, user_name: str) -> str:
        found = [s for s, r in self.tables["sys_user"].items() if r.get("user_name") == user_name]
        return found[0] if found else ""

    def _store_value(self, table: str, name: str, value) -> str:
        """References accept a sys_id or the referenced record's display value (name), like the API."""
        text = _as_string(value)
        target = REFERENCES.get(table, {}).get(name)
        if target is None or not text or text in self.tables[target]:
            return text
        display = DISPLAY_FIELD[target]
        found = [s for s, r in self.tables[target].items() if text in (r.get(display), r.get("user_name"))]
        return found[0] if found else ""  # an unknown reference is dropped, as ServiceNow does

    def _render(self, table: str, record: dict[str, str], display: str, fields: list[str] | None,
                exclude_link: bool) -> dict:  # fmt: skip
        out = {}
        for name, value in record.items():
            if fields and name not in fields:
                continue
            target = REFERENCES.get(table, {}).get(name)
            if target and value:
                ref = self.tables[target].get(value, {})
                shown = ref.get(DISPLAY_FIELD[target], "")
                link = {"link": f"{self.url}/api/now/table/{target}/{value}"} if not exclude_link else {}
                out[name] = {"display_value": shown, **link, "value": value} if display == "all" else (
                    shown if display == "true" else {**link, "value": value})
            elif name in CHOICES and display != "false":
                label = CHOICES[name].get(value, value)
                out[name] = {"display_value": label, "value": value} if display == "all" else label
            else:
                out[name] = {"display_value": value, "value": value} if display == "all" else value
        return out

    # ---- HTTP -----------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        with self._lock:
            self.requests.append({"method": request.method, "path": request.path, "args": dict(request.args),
                                  "json": request.get_json(silent=True), "status": response.status_code,
                                  "at": self.clock()})  # fmt: skip
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        fault = self._take_fault(request.method)
        if fault:
            status, retry_after, after_processing, _ = fault
            if after_processing:
                self._dispatch(request)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            message = {429: "Too many requests", 504: "Gateway Timeout"}.get(status, "Service Unavailable")
            return _error(status, message, "Injected by the emulator", headers)
        return self._dispatch(request)

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/oauth_token.do":
            return self._token(request) if request.method == "POST" else _error(405, "Method not Supported")
        parts = request.path.strip("/").split("/")
        if len(parts) not in (4, 5) or parts[:3] != ["api", "now", "table"]:
            return _error(400, "Requested URI does not represent any resource", request.path)
        user = self._authenticate(request)
        if user is None:
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        table = parts[3]
        if table not in self.tables:
            return _error(400, f"Invalid table {table}")
        with self._lock:
            if len(parts) == 4:
                return self._collection(request, table, user)
            return self._item(request, table, parts[4], user)

    def _authenticate(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return None
            return name if self.passwords.get(name) == password and password else None
        if header.startswith("Bearer "):
            user, expiry = self.tokens.get(header[7:], (None, None))
            return user if user and expiry > self.clock() else None
        return None

    def _token(self, request: Request) -> Response:
        form = request.form
        client = self.oauth_clients.get(form.get("client_id", ""))
        denied = _ok({"error_description": "access_denied", "error": "server_error"}, 401)
        if client is None or client[0] != form.get("client_secret"):
            return denied
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if not form.get("password") or self.passwords.get(user) != form.get("password"):
                return denied
        elif grant == "client_credentials":
            user = client[1]
        elif grant == "refresh_token":
            user, client_id = self.refresh_tokens.get(form.get("refresh_token", ""), ("", ""))
            if not user or client_id != form.get("client_id"):
                return denied
        else:
            return _ok({"error_description": f"unsupported grant_type {grant}", "error": "invalid_request"}, 400)
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        self.tokens[access] = (user, self.clock() + timedelta(seconds=self.token_lifetime))
        self.refresh_tokens[refresh] = (user, form["client_id"])
        return _ok({"access_token": access, "refresh_token": refresh, "scope": "useraccount",
                    "token_type": "Bearer", "expires_in": self.token_lifetime})  # fmt: skip

    def _collection(self, request: Request, table: str, user: str) -> Response:
        args = request.args
        if request.method == "GET":
            try:
                query = parse(args.get("sysparm_query"))
                limit = int(args.get("sysparm_limit", "10000"))
                offset = int(args.get("sysparm_offset", "0"))
            except (QueryError, ValueError) as exc:
                return _error(400, "Invalid query", str(exc))
            rows = query.sort([r for r in self.tables[table].values() if query.matches(r)])
            page = rows[offset : offset + limit]
            fields = [f for f in args.get("sysparm_fields", "").split(",") if f] or None
            display = args.get("sysparm_display_value", "false").lower()
            exclude = args.get("sysparm_exclude_reference_link", "false").lower() == "true"
            result = [self._render(table, r, display, fields, exclude) for r in page]
            headers = {"X-Total-Count": str(len(rows)), "Link": self._links(request, len(rows), offset, limit)}
            return _ok({"result": result}, headers=headers)
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return _error(400, "Exception while reading request", "The payload is not valid JSON.")
            sys_id = self.insert(table, body, user)
            location = f"{self.url}/api/now/table/{table}/{sys_id}"
            shown = self._render(table, self.tables[table][sys_id], "false", None, False)
            return _ok({"result": shown}, 201, {"Location": location})
        return _error(405, "Method not Supported", f"{request.method} is not supported on a table")

    def _item(self, request: Request, table: str, sys_id: str, user: str) -> Response:
        record = self.tables[table].get(sys_id)
        if record is None:
            return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        display = request.args.get("sysparm_display_value", "false").lower()
        fields = [f for f in request.args.get("sysparm_fields", "").split(",") if f] or None
        if request.method == "GET":
            return _ok({"result": self._render(table, record, display, fields, False)})
        if request.method in ("PATCH", "PUT"):
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return _error(400, "Exception while reading request", "The payload is not valid JSON.")
            refused = self._update(table, record, body, user)
            return refused or _ok({"result": self._render(table, record, display, fields, False)})
        if request.method == "DELETE":
            del self.tables[table][sys_id]
            return Response(status=204)
        return _error(405, "Method not Supported", f"{request.method} is not supported on a record")

    def _links(self, request: Request, total: int, offset: int, limit: int) -> str:
        base = {k: v for k, v in request.args.items() if k not in ("sysparm_offset", "sysparm_limit")}

        def link(off: int, rel: str) -> str:
            query = urlencode({**base, "sysparm_limit": limit, "sysparm_offset": off})
            return f'<{self.url}{request.path}?{query}>;rel="{rel}"'

        last = max(0, ((total - 1) // limit) * limit) if limit > 0 else 0
        links = [link(0, "first")]
        if offset > 0:
            links.append(link(max(0, offset - limit), "prev"))
        if offset + limit < total:
            links.append(link(offset + limit, "next"))
        links.append(link(last, "last"))
        return ",".join(links)
