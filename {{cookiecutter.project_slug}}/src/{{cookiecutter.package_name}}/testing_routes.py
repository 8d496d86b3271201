"""Routes for the reliability tests, registered only with ENABLE_TEST_ROUTES=1 (never deployed).

`GET /_test/slow?seconds=N` holds a worker for N seconds, so a test can prove that a rollout or a
SIGTERM lets in-flight requests finish. Not in the OpenAPI document.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint
from pydantic import AfterValidator, BaseModel, Field

SLOW_SECONDS_MAX = 20.0  # Below gunicorn's worker timeout, so the worker is never killed for it.


def _finite(seconds: float) -> float:
    if not math.isfinite(seconds):
        raise ValueError("not finite")
    return seconds


class SlowQuery(BaseModel):
    seconds: Annotated[float, AfterValidator(_finite)] = Field(1.0, ge=0, le=SLOW_SECONDS_MAX)


blueprint = APIBlueprint("testing_routes", __name__, url_prefix="/_test", doc_ui=False)


@blueprint.get("/slow")
def slow(query: SlowQuery) -> Response:
    time.sleep(query.seconds)
    return jsonify(slept=query.seconds)
