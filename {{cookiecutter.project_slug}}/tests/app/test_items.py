"""The items API: create, read, list with pagination, update, delete, and every error path."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from {{ cookiecutter.package_name }}.db import db as database
from {{ cookiecutter.package_name }}.items import ITEM_BY_ID
from {{ cookiecutter.package_name }}.items import ITEMS as ALL_ITEMS
from {{ cookiecutter.package_name }}.models import Item

from .conftest import MakeApp
from .oidc import Issuer

ITEMS = "/api/v1/items"
NAME_RULE = "must be a string of 1 to 100 characters, not all blank, without NUL characters"
DESCRIPTION_RULE = "must be a string of at most 1000 characters, without NUL characters"


def create(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    response = client.post(ITEMS, json={"name": "widget", **fields})
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.get_json()
    return body


def test_the_read_by_id_gives_the_row_sqlalchemy_gives(client: FlaskClient) -> None:
    # db.first_row steps below SQLAlchemy's execution on PostgreSQL (db.py, "The one shortcut").
    item_id = create(client, name="row", description="d", quantity=2)["id"]
    with client.application.test_request_context(f"{ITEMS}/{item_id}"):
        row = database.first_row(ITEM_BY_ID, {"item_id": item_id})
        core = database.connection.execute(ITEM_BY_ID, {"item_id": item_id}).one()._asdict()
        missing = database.first_row(ITEM_BY_ID, {"item_id": item_id + 1})
    assert row == core
    assert (row["name"], row["quantity"]) == ("row", 2)
    assert missing is None


def test_the_read_by_id_refuses_a_statement_finished_only_when_run(client: FlaskClient) -> None:
    with client.application.test_request_context(ITEMS), pytest.raises(ValueError, match="expanding parameters"):
        database.first_row(ALL_ITEMS.where(Item.id.in_([1, 2])), {})


def test_create_returns_the_item_and_its_location(client: FlaskClient, db: Session) -> None:
    # The name is stored trimmed; quantity 3.0 is JSON's 3.
    response = client.post(ITEMS, json={"name": "  widget ", "description": "blue", "quantity": 3.0})
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"{ITEMS}/{body['id']}"
    assert {k: body[k] for k in ("name", "description", "quantity")} == {
        "name": "widget",
        "description": "blue",
        "quantity": 3,
    }
    assert body["created_at"].endswith("Z")
    stored = db.scalars(select(Item)).one()
    assert (stored.id, stored.name) == (body["id"], "widget")


def test_get_returns_the_item(client: FlaskClient) -> None:
    created = create(client)
    response = client.get(f"{ITEMS}/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created


def test_list_pages_through_items_in_order(client: FlaskClient) -> None:
    ids = [create(client, name=f"item-{n}")["id"] for n in range(5)]
    first = client.get(f"{ITEMS}?limit=2").get_json()
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert (first["limit"], first["offset"], first["next_offset"]) == (2, 0, 2)
    last = client.get(f"{ITEMS}?limit=2&offset=4").get_json()
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert last["next_offset"] is None


@pytest.mark.parametrize(("count", "next_offset"), [(2, None), (3, 2)])
def test_next_offset_is_null_when_exactly_limit_items_are_left(
    client: FlaskClient, count: int, next_offset: int | None
) -> None:
    for n in range(count):
        create(client, name=f"item-{n}")
    page = client.get(f"{ITEMS}?limit=2").get_json()
    assert (len(page["items"]), page["next_offset"]) == (2, next_offset)


def test_list_is_empty_in_a_fresh_test(client: FlaskClient) -> None:
    # Items created by other tests were rolled back.
    assert client.get(ITEMS).get_json() == {
        "items": [],
        "limit": 20,
        "offset": 0,
        "next_offset": None,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("offset=-1", "offset")],
)
def test_list_rejects_out_of_bounds_paging(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"{ITEMS}?{query}")
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


@pytest.mark.parametrize("limit", ["\u00b2", "\u0663", "1" * 11, "+5", " 5", "1_0"])
def test_only_ascii_digits_make_a_limit(client: FlaskClient, limit: str) -> None:
    response = client.get(ITEMS, query_string={"limit": limit})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"limit": "must be a whole number from 1 to 100"}


def test_a_query_parameter_given_twice_is_422(client: FlaskClient) -> None:
    response = client.get(f"{ITEMS}?limit=1&limit=2")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"limit": "must be given once"}


def test_the_largest_quantity_is_accepted(client: FlaskClient) -> None:
    assert create(client, quantity=1_000_000_000)["quantity"] == 1_000_000_000


def test_patch_changes_only_the_given_fields(client: FlaskClient) -> None:
    created = create(client, description="old", quantity=1)
    response = client.patch(f"{ITEMS}/{created['id']}", json={"quantity": 7})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["description"], body["quantity"]) == ("widget", "old", 7)


def test_delete_removes_the_item(client: FlaskClient) -> None:
    created = create(client)
    assert client.delete(f"{ITEMS}/{created['id']}").status_code == 204
    assert client.get(f"{ITEMS}/{created['id']}").status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_missing_item_is_404(client: FlaskClient, method: str) -> None:
    response = getattr(client, method)(f"{ITEMS}/999999", json={})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_duplicate_name_is_409_on_create(client: FlaskClient) -> None:
    create(client)
    response = client.post(ITEMS, json={"name": "widget"})
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {"name": "is already used"}
    # The failed insert left the session usable.
    assert len(client.get(ITEMS).get_json()["items"]) == 1


def test_duplicate_name_is_409_on_update(client: FlaskClient) -> None:
    create(client)
    other = create(client, name="gadget")
    response = client.patch(f"{ITEMS}/{other['id']}", json={"name": "widget"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name": "is required"}),
        ({"name": ""}, {"name": NAME_RULE}),
        ({"name": "x" * 101}, {"name": NAME_RULE}),
        ({"name": 5}, {"name": NAME_RULE}),
        ({"name": "a", "description": 1}, {"description": DESCRIPTION_RULE}),
        ({"name": "a", "quantity": -1}, {"quantity": "must be a whole number from 0 to 1000000000"}),
        ({"name": "a", "quantity": 1_000_000_001}, {"quantity": "must be a whole number from 0 to 1000000000"}),
        ({"name": "a", "quantity": "3"}, {"quantity": "must be a whole number from 0 to 1000000000"}),
        ({"name": "a", "quantity": True}, {"quantity": "must be a whole number from 0 to 1000000000"}),
        ({"name": "a", "quantity": 1.5}, {"quantity": "must be a whole number from 0 to 1000000000"}),
        ({"name": "a", "colour": "red"}, {"colour": "is not a field; the fields are name, description, quantity"}),
        ({"name": "a\x00b"}, {"name": NAME_RULE}),
        ({"name": " \t\n"}, {"name": NAME_RULE}),
        ({"name": "\ud800"}, {"name": NAME_RULE}),
        ({"name": "a", "description": "nul \x00"}, {"description": DESCRIPTION_RULE}),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    client: FlaskClient, payload: dict[str, Any], fields: dict[str, str]
) -> None:
    response = client.post(ITEMS, json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["fields"]) == ("validation_failed", fields)


def test_patch_validates_fields(client: FlaskClient) -> None:
    created = create(client)
    response = client.patch(f"{ITEMS}/{created['id']}", json={"name": ""})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["name"]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_wrong_content_type_is_415(client: FlaskClient, method: str) -> None:
    created = create(client)
    url = ITEMS if method == "post" else f"{ITEMS}/{created['id']}"
    response = getattr(client, method)(url, data="name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "null", '"name"', "\xff"])
def test_body_that_is_not_a_json_object_is_400(client: FlaskClient, body: str) -> None:
    response = client.post(ITEMS, data=body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The body must be a JSON object."


def test_a_key_given_twice_is_400(client: FlaskClient, db: Session) -> None:
    response = client.post(ITEMS, data='{"name": "a", "name": "b"}', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The body names the key 'name' more than once."
    assert db.scalars(select(Item)).all() == []


def test_options_answers_204_with_allow(client: FlaskClient) -> None:
    response = client.options(ITEMS)
    assert response.status_code == 204
    assert sorted(response.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    assert response.data == b""


# ETag and If-Match


def test_item_responses_carry_an_etag_that_get_repeats(client: FlaskClient) -> None:
    created = client.post(ITEMS, json={"name": "widget"})
    fetched = client.get(created.headers["Location"])
    assert created.headers["ETag"] == fetched.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{40}"', fetched.headers["ETag"])


def test_patch_with_the_current_etag_changes_the_etag(client: FlaskClient) -> None:
    created = client.post(ITEMS, json={"name": "widget"})
    etag = created.headers["ETag"]
    response = client.patch(created.headers["Location"], json={"quantity": 2}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] not in ("", etag)


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_stale_if_match_is_412_and_changes_nothing(client: FlaskClient, method: str) -> None:
    created = client.post(ITEMS, json={"name": "widget"})
    location = created.headers["Location"]
    stale = created.headers["ETag"]
    client.patch(location, json={"quantity": 5})
    response = getattr(client, method)(location, json={"quantity": 9}, headers={"If-Match": stale})
    assert response.status_code == 412
    assert response.get_json()["error"]["code"] == "precondition_failed"
    assert client.get(location).get_json()["quantity"] == 5


def test_if_match_star_matches_any_version(client: FlaskClient) -> None:
    location = client.post(ITEMS, json={"name": "widget"}).headers["Location"]
    assert client.delete(location, headers={"If-Match": "*"}).status_code == 204


def test_deleting_an_item_other_rows_refer_to_is_409(client: FlaskClient, db: Session) -> None:
    # A table like the README's orders, made and dropped inside the test's transaction.
    created = create(client)
    db.execute(text("CREATE TABLE item_refs (item_id INTEGER NOT NULL REFERENCES items (id))"))
    db.execute(text("INSERT INTO item_refs (item_id) VALUES (:id)"), {"id": created["id"]})
    response = client.delete(f"{ITEMS}/{created['id']}")
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == f"Item {created['id']} is still referred to."
    assert client.get(f"{ITEMS}/{created['id']}").status_code == 200


# Races between writers


def test_a_row_deleted_under_a_patch_is_404_not_500(client: FlaskClient) -> None:
    # The DELETE lands between the PATCH's read and its UPDATE, which then matches no row (StaleDataError).
    created = create(client)

    def delete_first(session: Session, *_: object) -> None:
        session.execute(text("DELETE FROM items WHERE id = :id"), {"id": created["id"]})

    event.listen(Session, "before_flush", delete_first)
    try:
        response = client.patch(f"{ITEMS}/{created['id']}", json={"quantity": 2})
    finally:
        event.remove(Session, "before_flush", delete_first)
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "The item was deleted meanwhile."


@pytest.fixture
def committed_item(make_app: MakeApp, issuer: Issuer, database_url: str) -> Iterator[tuple[FlaskClient, Engine, str]]:
    """A client of an app on the real (committed) test database, an engine on it, and an item's URL."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: SQLite has no row locks to race on")
    client = make_app().test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issuer.token()}"
    engine = create_engine(database_url, poolclass=NullPool)
    location = client.post(ITEMS, json={"name": "raced"}).headers["Location"]
    yield client, engine, location
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM items WHERE name = 'raced'"))
    engine.dispose()


def _while_locked(engine: Engine, statement: str, request: Callable[[], TestResponse]) -> TestResponse:
    """Run `request` while another transaction holds the item's row with `statement`, then commit that."""
    with engine.connect() as connection, ThreadPoolExecutor(1) as pool:
        transaction = connection.begin()
        connection.execute(text(statement))
        pending = pool.submit(request)
        _wait_for_a_lock_wait(engine)
        transaction.commit()
        return pending.result(timeout=10)


def _wait_for_a_lock_wait(engine: Engine) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 10
    with engine.connect() as connection:
        while connection.execute(query).scalar_one() == 0:
            assert time.monotonic() < deadline, "the request never waited for the row lock"
            time.sleep(0.02)


def test_a_patch_racing_a_delete_is_404(committed_item: tuple[FlaskClient, Engine, str]) -> None:
    client, engine, location = committed_item
    response = _while_locked(
        engine, "DELETE FROM items WHERE name = 'raced'", lambda: client.patch(location, json={"quantity": 2})
    )
    assert response.status_code == 404


def test_a_delete_racing_a_patch_with_if_match_is_412(committed_item: tuple[FlaskClient, Engine, str]) -> None:
    client, engine, location = committed_item
    etag = client.get(location).headers["ETag"]
    response = _while_locked(
        engine,
        "UPDATE items SET quantity = 7 WHERE name = 'raced'",
        lambda: client.delete(location, headers={"If-Match": etag}),
    )
    assert response.status_code == 412
    assert client.get(location).get_json()["quantity"] == 7
