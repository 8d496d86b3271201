"""Structured logs, request ids and request metrics.

Every log line is one JSON object on stdout. The line written for each request is also a
CloudWatch embedded metric format (EMF) record: CloudWatch Logs turns its `_aws` block into the
`Latency`, `Requests`, `ClientErrors` and `Errors` metrics, so no metrics agent or scrape endpoint
is needed and the numbers can never disagree with the logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from .config import SERVICE_NAME, Settings

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and harmless to log; otherwise a new one is made.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:=-]{1,128}")
REQUEST_LOGGER = f"{__package__}.request"

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; `extra=` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is at the time, so captured output sees the lines too."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Send the package's logs to stdout as JSON; idempotent, so apps can be created repeatedly."""
    package_logger = logging.getLogger(__package__)
    package_logger.setLevel(settings.log_level)
    package_logger.propagate = False
    if not any(isinstance(h, StdoutHandler) for h in package_logger.handlers):
        handler = StdoutHandler()
        handler.setFormatter(JsonFormatter())
        package_logger.addHandler(handler)
    # Request lines carry the metrics, so they are written whatever LOG_LEVEL says.
    logging.getLogger(REQUEST_LOGGER).setLevel(logging.INFO)


def emf_record(environment: str, latency_ms: float, status: int) -> dict[str, Any]:
    """The embedded-metric-format fields for one request."""
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": SERVICE_NAME,
                    "Dimensions": [["Service", "Environment"]],
                    "Metrics": [
                        {"Name": "Latency", "Unit": "Milliseconds"},
                        {"Name": "Requests", "Unit": "Count"},
                        {"Name": "ClientErrors", "Unit": "Count"},
                        {"Name": "Errors", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Service": SERVICE_NAME,
        "Environment": environment,
        "Latency": latency_ms,
        "Requests": 1,
        "ClientErrors": int(400 <= status < 500),
        "Errors": int(status >= 500),
    }


def init_app(app: Flask, settings: Settings) -> None:
    """Give every request an id and a timer, and write its JSON line when it ends."""
    request_logger = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        valid = REQUEST_ID_PATTERN.fullmatch(incoming)
        g.request_id = incoming if valid else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started", time.perf_counter())
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        request_logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "request_id": request_id,
                **emf_record(settings.app_env, duration_ms, response.status_code),
            },
        )
        return response
