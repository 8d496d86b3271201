"""The sample resource: `/api/v1/items`, a small CRUD JSON API."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .db import db
from .errors import ApiError
from .models import ITEM_COLUMNS, Item, item_json
from .validation import item_fields, json_object, page

blueprint = Blueprint("items", __name__, url_prefix="/api/v1/items")

_id = Item.__table__.c.id
SELECT_ONE = select(*ITEM_COLUMNS).where(_id == bindparam("item_id"))
SELECT_PAGE = select(*ITEM_COLUMNS).order_by(_id).limit(bindparam("limit")).offset(bindparam("offset"))


def _not_found(item_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Item {item_id} does not exist.")


def _get_or_404(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        raise _not_found(item_id)
    return item


def _commit_or_409(name: str | None) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(
            409, "conflict", f"An item named {name!r} already exists.", {"name": "is already used"}
        ) from None


@blueprint.post("")
def create_item() -> tuple[Response, int, dict[str, str]]:
    fields = item_fields(json_object(), partial=False)
    item = Item(**fields)
    db.session.add(item)
    _commit_or_409(fields["name"])
    location = url_for("items.get_item", item_id=item.id)
    return jsonify(item.to_dict()), 201, {"Location": location}


@blueprint.get("")
def list_items() -> Response:
    limit, offset = page()
    rows = db.session.execute(SELECT_PAGE, {"limit": limit + 1, "offset": offset}).all()
    next_offset = offset + limit if len(rows) > limit else None
    return jsonify(
        items=[item_json(*row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=next_offset,
    )


@blueprint.get("/<int:item_id>")
def get_item(item_id: int) -> Response:
    row = db.session.execute(SELECT_ONE, {"item_id": item_id}).first()
    if row is None:
        raise _not_found(item_id)
    return jsonify(item_json(*row))


@blueprint.patch("/<int:item_id>")
def update_item(item_id: int) -> Response:
    fields = item_fields(json_object(), partial=True)
    item = _get_or_404(item_id)
    for name, value in fields.items():
        setattr(item, name, value)
    _commit_or_409(fields.get("name"))
    return jsonify(item.to_dict())


@blueprint.delete("/<int:item_id>")
def delete_item(item_id: int) -> tuple[str, int]:
    db.session.delete(_get_or_404(item_id))
    db.session.commit()
    return "", 204
