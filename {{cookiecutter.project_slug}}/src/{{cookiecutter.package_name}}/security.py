"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

from .config import Settings

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Browsers only honour HSTS over HTTPS, which the deployed environments always use.
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask, settings: Settings) -> None:
    """Add the headers after every request; API responses are never cached."""

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.deployed:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
