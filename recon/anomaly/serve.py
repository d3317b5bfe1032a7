"""The SageMaker container contract for a registered model (`recon model serve`).

    GET  /ping                               200 when the model is loaded
    POST /invocations                        text/csv (one row of features per line, optional
                                             header of feature names) or application/json
                                             ({"instances": [[...], ...]}, a bare list of rows, or
                                             {"records": [{name: value}, ...]}); answers JSON
                                             {"raw", "anomaly_score", "is_anomaly", "explanation",
                                             "top_feature"}, one entry per row
    POST /endpoints/{name}/invocations       the same, on the path boto3's sagemaker-runtime
                                             posts to, so boto3 with endpoint_url works unchanged

Bad input is a 400 on /invocations (the container contract); on the boto3 path it is returned as
SageMaker does, 424 with x-amzn-ErrorType ModelError, which boto3 raises as ModelError.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from recon.anomaly.models import ScoringModel

DEFAULT_PORT = 8080
MAX_BODY = 6 * 1024 * 1024  # SageMaker's real-time payload limit
_ENDPOINT_PATH = re.compile(r"^/endpoints/([A-Za-z0-9-]{1,63})/invocations$")


class BadRequest(ValueError):
    pass


def parse_rows(body: bytes, content_type: str, feature_names: tuple[str, ...]) -> np.ndarray:
    ctype = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("body is not UTF-8") from exc
    if ctype == "text/csv":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if lines and lines[0].split(",")[0].strip() == feature_names[0]:
            if [c.strip() for c in lines[0].split(",")] != list(feature_names):
                raise BadRequest(f"CSV header must be {','.join(feature_names)}")
            lines = lines[1:]
        rows = [ln.split(",") for ln in lines]
    elif ctype == "application/json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"invalid JSON: {exc.msg} at {exc.pos}") from exc
        if isinstance(doc, dict) and "records" in doc:
            try:
                rows = [[rec[name] for name in feature_names] for rec in doc["records"]]
            except (KeyError, TypeError) as exc:
                raise BadRequest(f"each record needs every feature: {', '.join(feature_names)}") from exc
        else:
            rows = doc.get("instances") if isinstance(doc, dict) else doc
            if not isinstance(rows, list):
                raise BadRequest('JSON body must be {"instances": [[...]]}, {"records": [...]} or a list of rows')
    else:
        raise BadRequest(f"unsupported content type {content_type!r}: use text/csv or application/json")
    if not rows:
        raise BadRequest("no rows to score")
    width = len(feature_names)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            raise BadRequest(f"row {i + 1}: expected {width} features ({', '.join(feature_names)})")
    try:
        X = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"feature values must be numbers: {exc}") from exc
    if not np.isfinite(X).all():
        raise BadRequest("feature values must be finite numbers")
    return X


def make_handler(model: ScoringModel):
    class Handler(BaseHTTPRequestHandler):
        server_version = "recon-anomaly/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: one line per request is noise at 1000s rows/s
            pass

        def _send(self, status: int, doc: dict, headers: dict | None = None) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            if self.path == "/ping":
                return self._send(200, {"status": "ok", "model": model.meta.get("version"), "schema_hash": model.schema})
            return self._send(404, {"error": f"no route GET {self.path}"})

        def do_POST(self):  # noqa: N802
            boto_path = _ENDPOINT_PATH.match(self.path)
            if self.path != "/invocations" and not boto_path:
                return self._send(404, {"error": f"no route POST {self.path}"})
            length = int(self.headers.get("Content-Length") or 0)
            try:
                if length > MAX_BODY:
                    raise BadRequest(f"payload {length} bytes exceeds {MAX_BODY}")
                X = parse_rows(self.rfile.read(length), self.headers.get("Content-Type", ""), model.feature_names)
                return self._send(200, model.score(X).as_json())
            except BadRequest as exc:
                if boto_path:
                    return self._send(424, {"ErrorCode": "CLIENT_ERROR_FROM_MODEL", "OriginalStatusCode": 400,
                                            "OriginalMessage": str(exc), "Message": str(exc)},
                                      {"x-amzn-ErrorType": "ModelError"})
                return self._send(400, {"error": str(exc)})

    return Handler


def make_server(model: ScoringModel, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(model))
    server.daemon_threads = True
    return server


def serve_in_thread(model: ScoringModel, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start a server on a background thread (benchmarks); server.server_address has the port."""
    server = make_server(model, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
