"""The WSGI layer around the app: what every request, probes included, gets on its way in and out.

- An id, sent back in X-Request-ID, and one JSON line with its metrics once it is answered
  (`observability`).
- The security headers, and `Cache-Control: no-store` on everything but static files (`security`).
- One more run of a safe request whose pooled database connection died under it (`db`).

Plain WSGI rather than Flask hooks: it costs a fraction of `before_request`/`after_request` plus
Werkzeug's header validation. And one layer for the three rather than
a layer each: every layer wraps `start_response` in a closure and adds its frames to every request;
merging three of them raised `/livez` from 0.872x to 0.884x bare Flask in the template's benchmark
(`nox -s bench`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

from .config import Settings
from .db import take_retry
from .observability import REQUEST_ID_HEADER, assign_request_id, log_request, logged_path
from .security import response_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Headers = list[tuple[str, str]]


def _write(_data: bytes) -> None:
    # PEP 3333's write() would send the body before the layer has decided whether to run the
    # request again; Flask never calls it.
    raise RuntimeError("the request layer holds each response until the app returns; return the body instead")


class RequestLayer:
    """WSGI middleware; `init_app` puts it around a Flask app."""

    def __init__(self, app: WSGIApplication, *, environment: str, headers: Headers, static_headers: Headers) -> None:
        self.app = app
        self.environment = environment
        self.headers = headers
        self.static_headers = static_headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = assign_request_id(environ)
        # The response is held, not started, until the app returns: a retried request's first
        # response is thrown away.
        held: list[tuple[str, Headers, Any]] = []

        def hold(status: str, headers: Headers, exc_info: Any = None) -> Any:
            held.append((status, headers, exc_info))
            return _write

        body = self.app(environ, hold)
        if take_retry(environ):
            getattr(body, "close", lambda: None)()
            body = self.app(environ, hold)
        status, headers, exc_info = held[-1]
        path = logged_path(environ)
        headers.extend(self.static_headers if path.startswith("/static/") else self.headers)
        headers.append((REQUEST_ID_HEADER, request_id))
        start_response(status, headers, exc_info)
        log_request(
            (
                time.time(),
                self.environment,
                environ.get("REQUEST_METHOD", ""),
                path,
                int(status[:3]),
                (time.perf_counter() - started) * 1000,
                request_id,
            )
        )
        return body


def init_app(app: Flask, settings: Settings) -> None:
    """Put the request layer around `app`."""
    headers, static_headers = response_headers(settings)
    app.wsgi_app = RequestLayer(  # type: ignore[method-assign]
        app.wsgi_app, environment=settings.app_env, headers=headers, static_headers=static_headers
    )
