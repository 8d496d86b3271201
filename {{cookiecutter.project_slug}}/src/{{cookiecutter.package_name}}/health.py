"""Probes: `/livez` says the process serves requests, `/readyz` that the database answers.

When the database does not, `/readyz` fails like any request that needs it: 503 (504 on a
timeout) with `Retry-After` and the usual error body, from the app's error handlers.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text

from .db import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/livez")
def livez() -> Response:
    # Never touches the database: a database outage must not make Kubernetes restart every pod.
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response:
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", checks={"database": "ok"})


def init_app(app: Flask) -> None:
    """Route the probes."""
    app.register_blueprint(blueprint)
