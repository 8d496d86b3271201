"""Request parsing and validation for the items API."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError
from .models import DESCRIPTION_MAX, NAME_MAX

QUANTITY_MAX = 1_000_000_000
BLANKS = " \t\n\v\f\r"  # The blanks the OpenAPI pattern of `name` names.
PAGE_LIMIT_DEFAULT = 20
PAGE_LIMIT_MAX = 100
# ASCII digits only, and few enough that int() stays cheap: `str.isdigit()` also accepts "²".
QUERY_INT = re.compile(r"[0-9]{1,10}")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 415 for another media type, 400 for anything else."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    _refuse_oversized_chunked_body()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return payload


def _refuse_oversized_chunked_body() -> None:
    """413 for a chunked body past the limit: werkzeug stops reading there without saying so."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None:
        return
    if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def _text(value: Any, low: int, high: int) -> str | None:
    """value when it is a string PostgreSQL can store (no NUL, valid UTF-8) of low..high characters."""
    if not isinstance(value, str) or not low <= len(value) <= high or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # An unpaired surrogate, e.g. "\ud800".
        return None
    return value


def _whole_number(value: Any, high: int) -> int | None:
    """value as an int when it is a JSON integer (7 or 7.0, as JSON Schema counts them) in 0..high."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and 0 <= value <= high:
        return value
    return None


def item_fields(payload: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated item fields; 422 naming every bad field. `partial` allows leaving fields out."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in sorted(set(payload) - {"name", "description", "quantity"}):
        problems[field] = "is not a field of an item"
    if "name" in payload:
        name = _text(payload["name"], 1, NAME_MAX)
        if name is not None and name.strip(BLANKS):
            values["name"] = name.strip(BLANKS)  # Checked as sent (the schema's lengths), stored trimmed.
        else:
            problems["name"] = f"must be a string of 1 to {NAME_MAX} characters, not all blank, without NUL"
    elif not partial:
        problems["name"] = "is required"
    if "description" in payload:
        description = _text(payload["description"], 0, DESCRIPTION_MAX)
        if description is not None:
            values["description"] = description
        else:
            problems["description"] = f"must be a string of at most {DESCRIPTION_MAX} characters, without NUL"
    if "quantity" in payload:
        quantity = _whole_number(payload["quantity"], QUANTITY_MAX)
        if quantity is not None:
            values["quantity"] = quantity
        else:
            problems["quantity"] = f"must be a whole number from 0 to {QUANTITY_MAX}"
    if problems:
        raise ApiError(422, "validation_failed", "Some fields are invalid.", problems)
    return values


def page() -> tuple[int, int]:
    """(limit, offset) from the query string; 422 naming the parameter when out of bounds."""
    problems: dict[str, str] = {}
    limit = _query_int("limit", PAGE_LIMIT_DEFAULT, 1, PAGE_LIMIT_MAX, problems)
    offset = _query_int("offset", 0, 0, 2**31 - 1, problems)
    if problems:
        raise ApiError(422, "validation_failed", "Some query parameters are invalid.", problems)
    return limit, offset


def _query_int(name: str, default: int, low: int, high: int, problems: dict[str, str]) -> int:
    if len(request.args.getlist(name)) > 1:
        problems[name] = "must be given once"
        return default
    text = request.args.get(name)
    if text is None:
        return default
    if QUERY_INT.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    problems[name] = f"must be a whole number from {low} to {high}"
    return default
