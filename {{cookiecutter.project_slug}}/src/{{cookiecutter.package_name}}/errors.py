"""Every error leaves the app as JSON: `{"error": {"code", "message", "request_id", "fields"?}}`.

No handler ever puts a stack trace in a response; unexpected errors are logged with theirs.
"""

from __future__ import annotations

import inspect
import logging
from functools import cache
from typing import Any, NoReturn, get_type_hints

import psycopg2
from flask import Flask, Response, current_app, jsonify, request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from .database_secret import CredentialsError
from .db import classify
from .observability import current_request_id

logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable: not_found, validation_failed, ...")
    message: str = Field(description="One sentence for a person.")
    request_id: str | None = Field(description="The X-Request-ID of the request.")
    fields: dict[str, str] = Field(
        default_factory=dict, description="Each invalid field or parameter, and what is allowed (422, 409)."
    )


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error the API reports on purpose, with its HTTP status and a stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers


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
    response = error_response(error.status, error.code, error.message, error.fields)
    response.headers.update(error.headers or {})
    return response


def validation_failed(error: ValidationError) -> NoReturn:
    """flask-openapi3's callback for a request pydantic refused: a 422 naming each field and what is allowed."""
    models = _models_of_this_view()
    model = models.get(error.title)
    properties = _properties(model) if model else {}
    fields: dict[str, str] = {}
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        fields.setdefault(name, _what_is_wrong(problem["type"], properties.get(name), properties) or problem["msg"])
    what = "fields" if model is not None and models.get("body") is model else "parameters"
    raise ApiError(422, "validation_failed", f"Some {what} are invalid.", fields)


def _models_of_this_view() -> dict[str, type[BaseModel]]:
    """The view's pydantic models by class name, and its body model also under "body"."""
    view = inspect.unwrap(current_app.view_functions[request.endpoint or ""])
    hints = get_type_hints(view)
    models = {hints[part].__name__: hints[part] for part in ("path", "query", "body") if part in hints}
    if "body" in hints:
        models["body"] = hints["body"]
    return models


@cache
def _properties(model: type[BaseModel]) -> dict[str, Any]:
    properties: dict[str, Any] = model.model_json_schema().get("properties", {})
    return properties


def _what_is_wrong(kind: str, schema: dict[str, Any] | None, properties: dict[str, Any]) -> str | None:
    """What is allowed, from the field's JSON Schema; None when unknown (pydantic's own message is used)."""
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not a field; the fields are {', '.join(properties)}"
    return allowed(schema) if schema else None


def allowed(schema: dict[str, Any]) -> str | None:
    """What a JSON Schema allows, as the end of a sentence: "must be a whole number from 0 to 10"."""
    if "enum" in schema:
        return f"must be one of {', '.join(map(str, schema['enum']))}"
    kind = schema.get("type")
    if kind == "string":
        size = _range(schema.get("minLength") or None, schema.get("maxLength"))
        rule = f", {schema['description']}" if "description" in schema else ""
        return f"must be a string{f' of {size} characters' if size else ''}{rule}"
    if kind in ("integer", "number"):
        noun = "a whole number" if kind == "integer" else "a number"
        low, high = _plain(schema.get("minimum")), _plain(schema.get("maximum"))
        if low is not None and high is not None:
            return f"must be {noun} from {low} to {high}"
        span = _range(low, high)
        return f"must be {noun} of {span}" if span else f"must be {noun}"
    if kind == "boolean":
        return "must be true or false"
    return f"must be of type {kind}" if kind else None


def _plain(number: Any) -> Any:
    """20 rather than 20.0 (JSON Schema bounds of float fields are floats)."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low} to {high}"
    if high is not None:
        return f"at most {high}"
    return "" if low is None else f"at least {low}"


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
