"""Security headers on every response."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

from .config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Browsers only honour HSTS over HTTPS, which the deployed environments always use.
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = ("Cache-Control", "no-store")


class SecurityHeaders:
    """WSGI middleware adding the headers to every response; API responses are never cached.

    No view sets these headers, so they are appended without looking for existing ones.
    """

    def __init__(self, app: WSGIApplication, headers: list[tuple[str, str]]) -> None:
        self.app = app
        self.headers = headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        static = environ.get("PATH_INFO", "").startswith("/static/")

        def add_headers(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.extend(self.headers)
            if not static:
                headers.append(NO_STORE)
            return start_response(status, headers, exc_info)

        return self.app(environ, add_headers)


def init_app(app: Flask, settings: Settings) -> None:
    """Wrap the app so every response carries the headers."""
    headers = list(HEADERS.items())
    if settings.deployed:
        headers.append(("Strict-Transport-Security", HSTS))
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers)  # type: ignore[method-assign]
