"""Probes: `/livez` says the process serves requests, `/readyz` that the database answers."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .observability import current_request_id

blueprint = Blueprint("health", __name__)
logger = logging.getLogger(__name__)


@blueprint.get("/livez")
def livez() -> Response:
    # Never touches the database: a database outage must not make Kubernetes restart every pod.
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning("readiness check failed: %s", type(error).__name__, extra={"request_id": current_request_id()})
        return jsonify(status="unavailable", checks={"database": "unavailable"}), 503
    return jsonify(status="ok", checks={"database": "ok"}), 200
