"""Security headers on every response."""

from __future__ import annotations

from .settings import Settings

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


def response_headers(settings: Settings) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The headers the request layer adds: (to API responses, to static files).

    API responses are never cached. No view sets these headers, so the layer appends them without
    looking for existing ones.
    """
    headers = list(HEADERS.items())
    if settings.deployed:
        headers.append(("Strict-Transport-Security", HSTS))
    return [*headers, NO_STORE], headers
