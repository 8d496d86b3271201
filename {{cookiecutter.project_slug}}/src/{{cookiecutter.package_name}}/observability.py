"""Structured logs, request ids and request metrics.

Every log line is one JSON object on stdout. The line written for each request is also a
CloudWatch embedded metric format (EMF) record: CloudWatch Logs turns its `_aws` block into the
`Latency`, `Requests`, `ClientErrors` and `Errors` metrics, so no metrics agent or scrape endpoint
is needed and the numbers can never disagree with the logs.

The request line is on the hot path of every request, so it does not go through `logging`: the
request queues its fields, and a thread formats the queued lines (joined from their parts, the
constant ones encoded once) and writes them out. The request layer (`request_layer.py`) gives each
request its id and queues its line.
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
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import request

from .config import SERVICE_NAME, Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

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


def request_line(
    now: float, environment: str, method: str, path: str, status: int, duration_ms: float, request_id: str
) -> str:
    """The JSON line of a request answered at `now` (a time.time()): its fields plus its EMF metrics.

    Joined from its parts rather than json.dumps or a %-template: the constant parts are copied,
    not encoded or scanned, and this runs for every request.
    """
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


# Requests wait in a queue as the fields of their lines, and a thread per process formats them and
# writes them out in one system call every FLUSH_INTERVAL_SECONDS, so a request neither writes to
# stdout nor formats its line itself. Each write releases the GIL, and under load a thread that
# released it waits for the others to get it back: with the request threads writing (and flushing),
# py-spy found 15 % of a loaded worker's samples in that. Formatting a batch of lines in one loop
# costs less than a line at a time between requests, whose work pushes the formatting code out of the
# CPU's caches: 1.5 microseconds less per request, a fifth of what the request layer costs.
# A request writes the queue out only when it is FLUSH_LINES long, which holds memory in check and
# slows the requests down when stdout cannot keep up. The interpreter writes what is left when a
# worker exits.
FLUSH_INTERVAL_SECONDS = 0.2
FLUSH_LINES = 4096
# One request's fields, in the order `request_line` takes them.
RequestFields = tuple[float, str, str, str, int, float, str]
_pending: collections.deque[RequestFields] = collections.deque()
_write_lock = threading.Lock()
_flusher_running = False


def log_request(fields: RequestFields) -> None:
    """Queue one request's line for stdout."""
    _pending.append(fields)  # Thread-safe: deque.append is atomic.
    if len(_pending) >= FLUSH_LINES:
        flush_lines()
    if not _flusher_running:
        _start_flusher()


def flush_lines() -> None:
    """Format every queued request's line and write them to stdout, in order, then flush it."""
    with _write_lock:
        lines = []
        with contextlib.suppress(IndexError):
            while True:
                lines.append(request_line(*_pending.popleft()))
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


def assign_request_id(environ: WSGIEnvironment) -> str:
    """The request's id, kept in its environ: the client's X-Request-ID if harmless to log, else a new one."""
    incoming = environ.get(REQUEST_ID_ENVIRON)
    request_id: str = incoming if incoming and REQUEST_ID_PATTERN.fullmatch(incoming) else new_request_id()
    environ[REQUEST_ID_KEY] = request_id
    return request_id


def logged_path(environ: WSGIEnvironment) -> str:
    """The request's path as the client sent it: WSGI hands paths over as latin-1."""
    path: str = environ.get("PATH_INFO", "")
    return path if path.isascii() else path.encode("latin-1").decode("utf-8", "replace")


def current_request_id() -> str | None:
    """The id of the request being handled (for error bodies and log lines)."""
    request_id: str | None = request.environ.get(REQUEST_ID_KEY)
    return request_id
