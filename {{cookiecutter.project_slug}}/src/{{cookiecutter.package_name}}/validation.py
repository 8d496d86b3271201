"""Request parsing and validation for the items API."""

from __future__ import annotations

from typing import Any

from flask import request

from .errors import ApiError
from .models import DESCRIPTION_MAX, NAME_MAX

QUANTITY_MAX = 1_000_000_000
PAGE_LIMIT_DEFAULT = 20
PAGE_LIMIT_MAX = 100


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 415 for another media type, 400 for anything else."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return payload


def item_fields(payload: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated item fields; 422 naming every bad field. `partial` allows leaving fields out."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field in sorted(set(payload) - {"name", "description", "quantity"}):
        problems[field] = "is not a field of an item"
    if "name" in payload:
        name = payload["name"]
        if isinstance(name, str) and 1 <= len(name.strip()) <= NAME_MAX:
            values["name"] = name.strip()
        else:
            problems["name"] = f"must be a string of 1 to {NAME_MAX} characters"
    elif not partial:
        problems["name"] = "is required"
    if "description" in payload:
        description = payload["description"]
        if isinstance(description, str) and len(description) <= DESCRIPTION_MAX:
            values["description"] = description
        else:
            problems["description"] = f"must be a string of at most {DESCRIPTION_MAX} characters"
    if "quantity" in payload:
        quantity = payload["quantity"]
        if type(quantity) is int and 0 <= quantity <= QUANTITY_MAX:
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
    text = request.args.get(name)
    if text is None:
        return default
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    problems[name] = f"must be a whole number from {low} to {high}"
    return default
