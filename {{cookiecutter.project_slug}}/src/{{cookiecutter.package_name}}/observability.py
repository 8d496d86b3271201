"""Structured logs, request ids and request metrics.

Every log line is one JSON object on stdout. The line written for each request is also a
CloudWatch embedded metric format (EMF) record: CloudWatch Logs turns its `_aws` block into the
`Latency`, `Requests`, `ClientErrors` and `Errors` metrics, so no metrics agent or scrape endpoint
is needed and the numbers can never disagree with the logs.

The request line is on the hot path of every request, so it is built directly (joined from its
parts encoded once) and queued for a writer thread instead of going through `logging`.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import logging
import os
import random
import re
import sys
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, request

from .config import SERVICE_NAME, Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"
REQUEST_ID_KEY = f"{__package__}.request_id"  # Where the id is kept in the WSGI environ.
# An incoming id is kept only if it is short and harmless to log; otherwise a new one is made.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:=-]{1,128}")
REQUEST_LOGGER = f"{__package__}.request"

# The metrics every request line declares; the values sit at the top level of the line.
EMF_DIRECTIVE = [
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
]
# JSON string literal with escapes, from the C encoder json.dumps itself uses.
_json_string = json.encoder.encode_basestring_ascii
# The constant parts of every request line, encoded once.
_LOGGER_JSON = _json_string(REQUEST_LOGGER)
_SERVICE_JSON = _json_string(SERVICE_NAME)
_EMF_DIRECTIVE_JSON = json.dumps(EMF_DIRECTIVE)


# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


# The last second formatted, as (second, "YYYY-MM-DDTHH:MM:SS."): most lines share their second
# with the line before, and formatting a datetime costs more than the rest of a request line.
_second_prefix: tuple[int, str] = (-1, "")


def log_time(timestamp: float) -> str:
    """`timestamp` as ISO 8601 UTC with milliseconds, e.g. 2026-01-31T12:00:00.123+00:00."""
    global _second_prefix  # One tuple, swapped whole, so threads never see half of it.
    # Rounded to the microsecond first, as datetime does, then cut to the millisecond.
    second, microsecond = divmod(round(timestamp * 1_000_000), 1_000_000)
    cached_second, prefix = _second_prefix
    if second != cached_second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        _second_prefix = (second, prefix)
    return f"{prefix}{microsecond // 1000:03d}+00:00"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; `extra=` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": log_time(record.created),
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


def new_request_id() -> str:
    """32 random hex characters.

    From the process's Mersenne Twister, reseeded in every forked worker, rather than os.urandom:
    an id only has to be unique, and a system call per request costs a worker a GIL hand-off.
    """
    return f"{random.getrandbits(128):032x}"


def request_line(*, environment: str, method: str, path: str, status: int, duration_ms: float, request_id: str) -> str:
    """The JSON line of one request: the request's fields plus its EMF metrics.

    Joined from its parts rather than json.dumps or a %-template: the constant parts are copied,
    not encoded or scanned, and this runs for every request.
    """
    now = time.time()
    duration = f"{duration_ms:.3f}"
    return "".join(
        (
            '{"time": "',
            log_time(now),
            '", "level": "INFO", "logger": ',
            _LOGGER_JSON,
            ', "message": "request", "method": ',
            _json_string(method),
            ', "path": ',
            _json_string(path),
            ', "status": ',
            str(status),
            ', "duration_ms": ',
            duration,
            ', "request_id": ',
            _json_string(request_id),
            ', "Service": ',
            _SERVICE_JSON,
            ', "Environment": ',
            _json_string(environment),
            ', "Latency": ',
            duration,
            ', "Requests": 1, "ClientErrors": ',
            "1" if 400 <= status < 500 else "0",
            ', "Errors": ',
            "1" if status >= 500 else "0",
            ', "_aws": {"Timestamp": ',
            str(int(now * 1000)),
            ', "CloudWatchMetrics": ',
            _EMF_DIRECTIVE_JSON,
            "}}\n",
        )
    )


# Request lines wait in a queue and a thread per process writes them out in one system call every
# FLUSH_INTERVAL_SECONDS, so a request never writes to stdout itself. Each write releases the GIL,
# and under load a thread that released it waits for the others to get it back: with the request
# threads writing (and flushing), py-spy found 15 % of a loaded worker's samples in that. A request
# writes the queue out only when it is FLUSH_LINES long, which holds memory in check and slows the
# requests down when stdout cannot keep up. The interpreter writes what is left when a worker exits.
FLUSH_INTERVAL_SECONDS = 0.2
FLUSH_LINES = 4096
_pending: collections.deque[str] = collections.deque()
_write_lock = threading.Lock()
_flusher_running = False


def write_line(line: str) -> None:
    """Queue one whole line for stdout."""
    _pending.append(line)  # Thread-safe: deque.append is atomic.
    if len(_pending) >= FLUSH_LINES:
        flush_lines()
    if not _flusher_running:
        _start_flusher()


def flush_lines() -> None:
    """Write every queued line to stdout, in order, and flush it."""
    with _write_lock:
        lines = []
        with contextlib.suppress(IndexError):
            while True:
                lines.append(_pending.popleft())
        if lines:
            sys.stdout.write("".join(lines))
            sys.stdout.flush()


def _start_flusher() -> None:
    # Two threads racing here start two flushers, which is harmless.
    global _flusher_running
    _flusher_running = True
    threading.Thread(target=_flush_periodically, name="stdout-flusher", daemon=True).start()


def _after_fork_in_child() -> None:
    # A forked child (a gunicorn worker) has none of its parent's threads, so it starts its own
    # flusher; the lines it inherited are its parent's to write, and so is a lock held at the fork.
    global _flusher_running, _write_lock
    _flusher_running = False
    _pending.clear()
    _write_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(flush_lines)


def _flush_periodically() -> None:
    while True:
        time.sleep(FLUSH_INTERVAL_SECONDS)
        flush_lines()


class RequestObserver:
    """WSGI middleware: gives each request an id and writes its JSON line when the app answers.

    Plain WSGI rather than Flask hooks because it runs on every request, probes included, and
    costs a fraction of `before_request`/`after_request` plus Werkzeug's header validation.
    """

    def __init__(self, app: WSGIApplication, environment: str) -> None:
        self.app = app
        self.environment = environment

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get(REQUEST_ID_ENVIRON)
        request_id = incoming if incoming and REQUEST_ID_PATTERN.fullmatch(incoming) else new_request_id()
        environ[REQUEST_ID_KEY] = request_id
        statuses: list[int] = []

        def observe(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(int(status[:3]))
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        body = self.app(environ, observe)
        path = environ.get("PATH_INFO", "")
        if not path.isascii():  # WSGI hands paths over as latin-1; show them as the client sent them.
            path = path.encode("latin-1").decode("utf-8", "replace")
        write_line(
            request_line(
                environment=self.environment,
                method=environ.get("REQUEST_METHOD", ""),
                path=path,
                status=statuses[-1] if statuses else 500,
                duration_ms=(time.perf_counter() - started) * 1000,
                request_id=request_id,
            )
        )
        return body


def current_request_id() -> str | None:
    """The id of the request being handled (for error bodies and log lines)."""
    request_id: str | None = request.environ.get(REQUEST_ID_KEY)
    return request_id


def init_app(app: Flask, settings: Settings) -> None:
    """Wrap the app so every request gets an id and one JSON line."""
    app.wsgi_app = RequestObserver(app.wsgi_app, settings.app_env)  # type: ignore[method-assign]
