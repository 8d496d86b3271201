"""Serves the OpenAPI document kept next to the code (`openapi.json`)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from flask import Blueprint, Response, jsonify

blueprint = Blueprint("openapi", __name__)


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document, read once from the package."""
    loaded: dict[str, Any] = json.loads(files(__package__).joinpath("openapi.json").read_text("utf-8"))
    return loaded


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(document())
