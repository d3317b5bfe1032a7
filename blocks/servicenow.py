"""The ServiceNow block: incidents through the Table API (httpx), Basic or OAuth credentials.

Embedded default: no instance_url -> `configured` is False and the outbox keeps incidents in the
local break store (nothing is sent, nothing is lost). Every request retries 429 / 5xx / connection
errors with exponential backoff, honouring Retry-After, a bounded number of times; then it raises
ServiceNowUnavailable and the caller (the outbox) decides when to try again.

Credentials are SecretStr and never leave the Authorization header / token request body: errors
carry the method, the path, the status and ServiceNow's own message, nothing else.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
from prefect.blocks.core import Block
from pydantic import BaseModel, Field, PrivateAttr, SecretStr

from recon import clock
from recon.retry import Backoff, RetriesExhausted, RetryLater, retry

log = logging.getLogger("recon.servicenow")

RETRYABLE = {429, 500, 502, 503, 504}
STATE_IN_PROGRESS, STATE_ON_HOLD, STATE_RESOLVED, STATE_CLOSED = "2", "3", "6", "7"


class ServiceNowError(Exception):
    """A ServiceNow call failed. The text never contains credentials."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceNowUnavailable(ServiceNowError):
    """Unreachable, throttled or failing (429/5xx) after the bounded retries: try again later."""


class ServiceNowRejected(ServiceNowError):
    """ServiceNow refused the request (4xx other than 429): retrying the same request will not help."""


class ServiceNowAuthError(ServiceNowRejected):
    """401/403 on authentication: the credentials (or the OAuth client) need fixing."""


class AssignmentRule(BaseModel):
    """Which assignment group gets a break's incident (tasks/incident_fields.py applies the rules:
    first match wins; a field left empty matches anything)."""

    group: str
    break_type: str | None = None
    broker: str | None = None
    asset_class: str | None = None
    recon: str | None = None


# Incident field templates: str.format_map over the break's columns (tasks/incident_fields.py).
DEFAULT_FIELD_MAP: dict[str, str] = {
    "short_description": "Recon break {break_type}: {broker} {account} {instrument_id} {side} "
    "({difference_amount} {currency})",
    "category": "inquiry",
    "subcategory": "trade reconciliation",
    "contact_type": "integration",
}


class _GiveUp(Exception):
    """A failed create that may have been processed: not retried here (see _send)."""


class ServiceNow(Block):
    """ServiceNow incidents for reconciliation breaks (Table API)."""

    _block_type_name = "Recon ServiceNow"
    instance_url: str | None = Field(default=None, description="https://<instance>.service-now.com; empty = local only")
    auth: Literal["basic", "oauth"] = "basic"
    username: str | None = None
    password: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    oauth_grant: Literal["password", "client_credentials"] = "password"
    table: str = "incident"
    assignment_rules: list[AssignmentRule] = Field(default_factory=list)
    default_assignment_group: str = "Trade Support"
    field_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FIELD_MAP))
    resolve_close_code: str = Field(default="Solution provided", description="close_code when a break clears")
    timeout_seconds: float = 10.0
    max_retries: int = Field(default=4, ge=0, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_backoff_seconds: float = Field(default=30.0, ge=0, description="cap on one wait, Retry-After included")
    page_size: int = Field(default=500, ge=1, le=10000)
    verify_tls: bool = True

    _client: Any = PrivateAttr(default=None)
    _token: str | None = PrivateAttr(default=None)
    _token_expiry: float = PrivateAttr(default=0.0)
    _sleep: Any = PrivateAttr(default=time.sleep)

    # ---- configuration ------------------------------------------------------------------------
    @property
    def configured(self) -> bool:
        return bool(self.instance_url)

    def _http(self) -> httpx.Client:
        if self._client is None:
            if not self.instance_url:
                raise ServiceNowError("no ServiceNow instance_url configured")
            self._client = httpx.Client(
                base_url=self.instance_url.rstrip("/"),
                timeout=self.timeout_seconds,
                verify=self.verify_tls,
                headers={"Accept": "application/json"},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ---- authentication -----------------------------------------------------------------------
    def _auth_header(self) -> dict[str, str]:
        if self.auth == "basic":
            if not self.username or self.password is None:
                raise ServiceNowAuthError("basic auth needs username and password on the ServiceNow block")
            pair = f"{self.username}:{self.password.get_secret_value()}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self._token is None or time.monotonic() >= self._token_expiry:
            self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    def _fetch_token(self) -> None:
        if not self.client_id or self.client_secret is None:
            raise ServiceNowAuthError("oauth needs client_id and client_secret on the ServiceNow block")
        form = {"grant_type": self.oauth_grant, "client_id": self.client_id,
                "client_secret": self.client_secret.get_secret_value()}  # fmt: skip
        if self.oauth_grant == "password":
            if not self.username or self.password is None:
                raise ServiceNowAuthError("oauth password grant needs username and password")
            form.update(username=self.username, password=self.password.get_secret_value())
        response = self._send("POST", "/oauth_token.do", data=form)
        if response.status_code != 200:
            reason = _safe_json(response).get("error_description", "")
            raise ServiceNowAuthError(f"OAuth token request refused ({response.status_code}) {reason}".strip(),
                                      response.status_code)  # fmt: skip
        body = response.json()
        self._token = body["access_token"]
        # Renew a little early so a token never expires between check and use.
        self._token_expiry = time.monotonic() + max(0.0, float(body.get("expires_in", 1800)) - 30)

    # ---- HTTP with bounded retries (recon.retry) ------------------------------------------------
    def _send(self, method: str, path: str, *, safe: bool = True, **kwargs) -> httpx.Response:
        """One logical request: retries 429/5xx/connection errors, then ServiceNowUnavailable.

        safe=False (a POST that creates): only what cannot have been processed is retried here (429,
        connection refused); after a 5xx or a lost response the record may exist, so the caller
        looks it up again instead of posting twice.
        """
        made = 0

        def attempt() -> httpx.Response:
            nonlocal made
            made += 1
            try:
                response = self._http().request(method, path, **kwargs)
            except httpx.TransportError as exc:
                reason = f"cannot reach ServiceNow ({type(exc).__name__})"
                if not safe and not isinstance(exc, httpx.ConnectError):
                    raise _GiveUp(reason) from None
                raise RetryLater(reason) from None
            if response.status_code not in RETRYABLE:
                return response
            reason = f"ServiceNow answered {response.status_code}"
            if not safe and response.status_code != 429:
                raise _GiveUp(reason)
            raise RetryLater(reason, self._retry_after(response) if response.status_code in (429, 503) else None)

        def log_retry(exc: RetryLater, number: int, wait: float) -> None:
            log.warning("%s %s: %s; retry %d/%d in %.2fs", method, path, exc.reason, number, self.max_retries, wait)

        try:
            return retry(attempt, attempts=self.max_retries + 1, sleep=self._sleep, on_retry=log_retry,
                         backoff=Backoff(self.backoff_seconds, self.max_backoff_seconds))  # fmt: skip
        except RetriesExhausted as exc:
            raise ServiceNowUnavailable(f"{method} {path}: {exc}") from None
        except _GiveUp as exc:
            raise ServiceNowUnavailable(f"{method} {path}: {exc} after {made} attempt(s)") from None

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - clock.timestamp())
            except (TypeError, ValueError):
                return None

    def request(self, method: str, path: str, *, params: dict | None = None, json: dict | None = None,
                safe: bool = True) -> httpx.Response:  # fmt: skip
        """An authenticated Table API call; a stale OAuth token is renewed once on 401."""
        for renewed in (False, True):
            headers = self._auth_header()
            response = self._send(method, path, safe=safe, params=params, json=json, headers=headers)
            if response.status_code == 401 and self.auth == "oauth" and not renewed:
                self._token = None
                continue
            break
        if response.status_code == 401:
            raise ServiceNowAuthError(f"{method} {path}: ServiceNow refused the credentials (401)", 401)
        if response.status_code >= 400:
            err = _safe_json(response).get("error") or {}
            detail = f"{err.get('message', '')}: {err.get('detail') or ''}".strip(": ")
            raise ServiceNowRejected(f"{method} {path}: {response.status_code} {detail}", response.status_code)
        return response

    # ---- Table API ------------------------------------------------------------------------------
    def _table_path(self, sys_id: str | None = None) -> str:
        return f"/api/now/table/{self.table}" + (f"/{sys_id}" if sys_id else "")

    def query(self, encoded_query: str, fields_: list[str] | None = None, display_value: str = "false",
              limit: int | None = None) -> Iterator[dict]:  # fmt: skip
        """Every record matching an encoded query, page by page (sysparm_offset, X-Total-Count)."""
        offset, seen = 0, 0
        while True:
            size = min(self.page_size, limit - seen) if limit else self.page_size
            params = {"sysparm_query": encoded_query, "sysparm_limit": size, "sysparm_offset": offset,
                      "sysparm_display_value": display_value, "sysparm_exclude_reference_link": "true"}  # fmt: skip
            if fields_:
                params["sysparm_fields"] = ",".join(fields_)
            response = self.request("GET", self._table_path(), params=params)
            page = response.json()["result"]
            yield from page
            seen += len(page)
            offset += len(page)
            total = int(response.headers.get("X-Total-Count", offset))
            if not page or offset >= total or (limit and seen >= limit):
                return

    def find_by_correlation_id(self, correlation_id: str) -> dict | None:
        if not correlation_id or "^" in correlation_id or "=" in correlation_id:
            raise ValueError(f"invalid correlation_id {correlation_id!r}")
        query = f"correlation_id={correlation_id}^ORDERBYsys_created_on"
        found = list(self.query(query, ["sys_id", "number", "state", "sys_created_on"], limit=2))
        if len(found) > 1:
            log.warning("%d incidents share correlation_id %s; using the oldest", len(found), correlation_id)
        return found[0] if found else None

    def create(self, values: Mapping[str, str]) -> dict:
        """POST a record. Not retried after a 5xx: the caller must look it up before trying again."""
        return self.request("POST", self._table_path(), json=dict(values), safe=False).json()["result"]

    def update(self, sys_id: str, values: Mapping[str, str]) -> dict:
        return self.request("PATCH", self._table_path(sys_id), json=dict(values)).json()["result"]


def _safe_json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
