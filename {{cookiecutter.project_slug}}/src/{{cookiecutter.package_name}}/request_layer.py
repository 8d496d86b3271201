"""The WSGI layer around the app: what every request, probes included, gets on its way in and out.

- An id, sent back in X-Request-ID (the client's own when it is harmless to log).
- The security headers, and `Cache-Control: no-store` on everything but static files (`security`).
- One JSON log line once it is answered (INFO, WARNING for 4xx, ERROR for 5xx) and its metrics
  (`observability`); not for the probes' answers (PROBES), only for their failures.

WSGI middleware rather than Flask hooks so that every response is covered, including the ones
Flask builds for routing errors, and so that the time measured is the whole request's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

from .observability import (
    REQUEST_ID_HEADER,
    REQUEST_LOGGER,
    MetricsSink,
    assign_request_id,
    emf_record,
    request_level,
)
from .security import response_headers
from .settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Headers = list[tuple[str, str]]
logger = logging.getLogger(REQUEST_LOGGER)
# The kubelet asks every pod these every few seconds: answered, they would be most of the log lines
# and of the request metrics while saying nothing. A failing probe is logged like any request.
PROBES = frozenset({"/livez", "/readyz"})


def logged_path(environ: WSGIEnvironment) -> str:
    """The request's path as the client sent it: WSGI hands paths over as latin-1."""
    path: str = environ.get("PATH_INFO", "")
    return path if path.isascii() else path.encode("latin-1").decode("utf-8", "replace")


class RequestLayer:
    """WSGI middleware; `init_app` puts it around a Flask app."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        settings: Settings,
        headers: Headers,
        static_headers: Headers,
        metrics: MetricsSink,
    ) -> None:
        self.app = app
        self.environment = settings.app_env
        self.headers = headers
        self.static_headers = static_headers
        self.metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = assign_request_id(environ)
        path = logged_path(environ)
        answered: list[int] = []

        def start(status: str, headers: Headers, exc_info: Any = None) -> Any:
            headers.extend(self.static_headers if path.startswith("/static/") else self.headers)
            headers.append((REQUEST_ID_HEADER, request_id))
            answered.append(int(status[:3]))
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        status = answered[-1] if answered else 500
        if status < 400 and path in PROBES:
            return body
        duration_ms = (time.perf_counter() - started) * 1000
        logger.log(
            request_level(status),
            "request",
            extra={
                "method": environ.get("REQUEST_METHOD", ""),
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 3),
                "request_id": request_id,
            },
        )
        if self.metrics.enabled:
            self.metrics.send(emf_record(self.environment, status, duration_ms, int(time.time() * 1000)))
        return body


def init_app(app: Flask, settings: Settings) -> None:
    """Put the request layer around `app` (after `observability.init_app`, which makes the metrics sink)."""
    headers, static_headers = response_headers(settings)
    app.wsgi_app = RequestLayer(  # type: ignore[method-assign]
        app.wsgi_app,
        settings=settings,
        headers=headers,
        static_headers=static_headers,
        metrics=app.extensions.get("metrics") or MetricsSink(""),
    )
