"""The sample resource: `/api/v1/items`, a small CRUD JSON API.

The pydantic models below are the only declaration of the API: flask-openapi3 validates requests
with them and writes the OpenAPI document from them; the views serialise responses with them.
Reads run Core statements and validate their rows; writes change ORM objects (db.py says why).
A name is checked as sent and stored without surrounding blanks. Item responses carry an ETag;
PATCH, DELETE and GET honour If-Match (412 when it is stale).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from flask import Response, request, url_for
from flask_openapi3 import APIBlueprint, Tag
from pydantic import MISSING, AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.http import generate_etag

from .db import db
from .errors import ApiError
from .models import DESCRIPTION_MAX, NAME_MAX, Item
from .openapi import INTEGRAL_FLOATS, Body, QueryInt, UtcDateTime, json_response, text

QUANTITY_MAX = 1_000_000_000
PAGE_LIMIT_MAX = 100
ID_MAX = 2**31 - 1  # PostgreSQL's integer: a larger id cannot exist.

Name = Annotated[str, text(1, NAME_MAX, blank=False), AfterValidator(str.strip)]
Description = Annotated[str, text(0, DESCRIPTION_MAX)]
Quantity = Annotated[int, Field(ge=0, le=QUANTITY_MAX), INTEGRAL_FLOATS]


class ItemCreate(Body):
    name: Name
    description: Description = ""
    quantity: Quantity = 0


class ItemUpdate(Body):
    """Only the fields sent change."""

    name: Name | MISSING = MISSING
    description: Description | MISSING = MISSING
    quantity: Quantity | MISSING = MISSING


ETAG = {"description": "The item's version, for If-Match.", "schema": {"type": "string"}}


class ItemOut(BaseModel):
    # flask-openapi3 reads `openapi_extra`, a key pydantic's ConfigDict type does not know.
    model_config = ConfigDict(from_attributes=True, openapi_extra={"headers": {"ETag": ETAG}})  # type: ignore[typeddict-unknown-key]

    id: int
    name: str
    description: str
    quantity: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ItemPage(BaseModel):
    items: list[ItemOut]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page, or null on the last page.")


class PageQuery(BaseModel):
    limit: QueryInt = Field(20, ge=1, le=PAGE_LIMIT_MAX)
    offset: QueryInt = Field(0, ge=0, le=2**31 - 1)


class ItemPath(BaseModel):
    item_id: int = Field(ge=1)


IF_MATCH_FAILED = {"description": "If-Match names another version of the item."}
NAME_TAKEN = {"description": "The name is already used."}
REFERRED_TO = {"description": "Other rows still refer to the item (a foreign key, e.g. orders)."}
blueprint = APIBlueprint("items", __name__, url_prefix="/api/v1/items", abp_tags=[Tag(name="items")])


@blueprint.post("", responses={201: ItemOut, 409: NAME_TAKEN})
def create_item(body: ItemCreate) -> Response:
    """Create an item."""
    item = Item(**body.model_dump())
    db.session.add(item)
    _commit(_name_taken(item.name))
    return _item_response(item, 201, {"Location": url_for("items.get_item", item_id=item.id)})


# Reads are SQLAlchemy Core statements, built once (see db.py, "Reads"); the read by id is the one
# that takes db.first_row (db.py, "The one shortcut").
ITEMS = select(Item.__table__)
ITEM_BY_ID = ITEMS.where(Item.id == bindparam("item_id"))
ITEM_PAGE = ITEMS.order_by(Item.id).limit(bindparam("limit")).offset(bindparam("offset"))


@blueprint.get("", responses={200: ItemPage})
def list_items(query: PageQuery) -> Response:
    """List items, oldest first."""
    items = db.connection.execute(ITEM_PAGE, {"limit": query.limit + 1, "offset": query.offset}).all()
    more = len(items) > query.limit
    page = ItemPage(
        items=[ItemOut.model_validate(item) for item in items[: query.limit]],
        limit=query.limit,
        offset=query.offset,
        next_offset=query.offset + query.limit if more else None,
    )
    return json_response(page)


@blueprint.get("/<int:item_id>", responses={200: ItemOut, 412: IF_MATCH_FAILED})
def get_item(path: ItemPath) -> Response:
    """One item."""
    item = db.first_row(ITEM_BY_ID, {"item_id": path.item_id}) if path.item_id <= ID_MAX else None
    if item is None:
        raise _not_found(path.item_id)
    _check_if_match(item)
    return _item_response(item, 200)


@blueprint.patch("/<int:item_id>", responses={200: ItemOut, 409: NAME_TAKEN, 412: IF_MATCH_FAILED})
def update_item(path: ItemPath, body: ItemUpdate) -> Response:
    """Change some fields of an item."""
    item = _get_or_404(path.item_id, for_update=True)
    for name, value in body.model_dump().items():
        setattr(item, name, value)
    _commit(_name_taken(item.name))
    return _item_response(item, 200)


@blueprint.delete("/<int:item_id>", responses={204: None, 409: REFERRED_TO, 412: IF_MATCH_FAILED})
def delete_item(path: ItemPath) -> tuple[str, int]:
    """Delete an item."""
    db.session.delete(_get_or_404(path.item_id, for_update=True))
    _commit(ApiError(409, "conflict", f"Item {path.item_id} is still referred to."))
    return "", 204


def _get_or_404(item_id: int, *, for_update: bool = False) -> Item:
    """The item, locked until commit when it is to change; 404 if absent, 412 if If-Match names another version.

    The lock makes If-Match and the change one step, and makes a PATCH that races a DELETE wait for
    it and then find nothing (404).
    """
    item = db.session.get(Item, item_id, with_for_update=for_update) if item_id <= ID_MAX else None
    if item is None:
        raise _not_found(item_id)
    _check_if_match(item)
    return item


def _not_found(item_id: int) -> ApiError:
    return ApiError(404, "not_found", f"Item {item_id} does not exist.")


def _check_if_match(item: Item | Mapping[str, Any]) -> None:
    """412 when the request's If-Match names another version of `item` (an ORM object or a row's columns)."""
    if not request.if_match:
        return
    out = ItemOut.model_validate(item)
    if not request.if_match.contains(_etag(out)[1]):
        raise ApiError(412, "precondition_failed", f"Item {out.id} has changed; GET it again for its ETag.")


def _name_taken(name: str) -> ApiError:
    return ApiError(409, "conflict", f"An item named {name!r} already exists.", {"name": "is already used"})


def _commit(conflict: ApiError) -> None:
    """Commit; `conflict` when a constraint refuses it, 404 when the row went away under it."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise conflict from None
    except StaleDataError:
        # Only without row locks (SQLite): a DELETE committed between our read and our write.
        db.session.rollback()
        raise ApiError(404, "not_found", "The item was deleted meanwhile.") from None


def _etag(out: ItemOut) -> tuple[bytes, str]:
    body = out.model_dump_json().encode()
    return body, generate_etag(body)


def _item_response(item: Item | Mapping[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    body, etag = _etag(ItemOut.model_validate(item))
    response = Response(body, status, headers, mimetype="application/json")
    response.set_etag(etag)
    return response
