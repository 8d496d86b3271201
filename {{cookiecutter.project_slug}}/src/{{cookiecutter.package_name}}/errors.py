"""Every error leaves the app as JSON: `{"error": {"code", "message", "request_id", "fields"?}}`.

No handler ever puts a stack trace in a response; unexpected errors are logged with theirs.
"""

from __future__ import annotations

import logging

import psycopg2
from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from .database_secret import CredentialsError
from .db import classify
from .observability import current_request_id

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports on purpose, with its HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """The JSON error body every handler returns."""
    body: dict[str, object] = {
        "code": code,
        "message": message,
        "request_id": current_request_id(),
    }
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    return response


def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message, error.fields)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    response = error_response(status, code, error.description or error.name)
    # Keep the headers HTTP requires with some statuses, e.g. Allow with 405.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_error(error: Exception) -> Response:
    # db.classify says which database errors are the database's state (503/504, retry) and logs them.
    problem = classify(error)
    if problem is None:
        return _unexpected(error)
    response = error_response(problem.status, problem.code, problem.message)
    if problem.retry_after is not None:
        response.headers["Retry-After"] = str(problem.retry_after)
    return response


def _unexpected(error: Exception) -> Response:
    logger.exception("unhandled error", exc_info=error, extra={"request_id": current_request_id()})
    return error_response(500, "internal_error", "An unexpected error occurred.")


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for error in (DBAPIError, psycopg2.Error, PoolTimeoutError, CredentialsError):
        app.register_error_handler(error, _database_error)
    app.register_error_handler(Exception, _unexpected)
