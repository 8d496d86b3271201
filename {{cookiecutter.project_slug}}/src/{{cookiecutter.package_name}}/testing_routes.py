"""Routes for the reliability tests, registered only with ENABLE_TEST_ROUTES=1 (never deployed).

`GET /_test/slow?seconds=N` holds a worker for N seconds, so a test can prove that a rollout or a
SIGTERM lets in-flight requests finish.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request

from .errors import ApiError

SLOW_SECONDS_MAX = 20.0  # Below gunicorn's worker timeout, so the worker is never killed for it.

blueprint = Blueprint("testing_routes", __name__, url_prefix="/_test")


@blueprint.get("/slow")
def slow() -> Response:
    text = request.args.get("seconds", "1")
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= SLOW_SECONDS_MAX:
        raise ApiError(
            422,
            "validation_failed",
            "Some query parameters are invalid.",
            {"seconds": f"must be a number from 0 to {SLOW_SECONDS_MAX:g}"},
        )
    time.sleep(seconds)
    return jsonify(slept=seconds)
