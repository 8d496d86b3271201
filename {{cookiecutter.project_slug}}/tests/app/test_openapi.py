"""The OpenAPI document is valid and describes exactly the routes and statuses the app has."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from {{ cookiecutter.package_name }}.openapi import document

METHODS = {"get", "post", "put", "patch", "delete"}
UNDOCUMENTED = ("/static/", "/_test/")  # Files, and routes that are never deployed.
ITEM = "/api/v1/items/{item_id}"
ITEMS = "/api/v1/items"


def test_document_is_valid_openapi() -> None:
    validate(document())


def test_served_document_is_the_kept_one(client: FlaskClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document()


def test_document_lists_exactly_the_registered_routes(app: Flask) -> None:
    registered = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if not path.startswith(UNDOCUMENTED):
            registered |= {(path, method.lower()) for method in rule.methods or ()}
    registered = {(path, method) for path, method in registered if method in METHODS}
    documented = {
        (path, method) for path, operations in document()["paths"].items() for method in operations if method in METHODS
    }
    assert documented == registered


def _item(client: FlaskClient, name: str = "documented") -> int:
    item_id: int = client.post(ITEMS, json={"name": name}).get_json()["id"]
    return item_id


Call = Callable[[FlaskClient], Any]

# One request per documented (path, method, status): together they must cover the whole document.
EXAMPLES: list[tuple[str, str, int, Call]] = [
    ("/livez", "get", 200, lambda c: c.get("/livez")),
    ("/readyz", "get", 200, lambda c: c.get("/readyz")),
    ("/openapi.json", "get", 200, lambda c: c.get("/openapi.json")),
    (ITEMS, "get", 200, lambda c: c.get(ITEMS)),
    (ITEMS, "get", 422, lambda c: c.get(f"{ITEMS}?limit=0")),
    (ITEMS, "post", 201, lambda c: c.post(ITEMS, json={"name": "n"})),
    (ITEMS, "post", 400, lambda c: c.post(ITEMS, data="{", content_type="application/json")),
    (ITEMS, "post", 409, lambda c: (_item(c, "n"), c.post(ITEMS, json={"name": "n"}))[1]),
    (ITEMS, "post", 413, lambda c: c.post(ITEMS, json={"name": "n", "description": "x" * 2**20})),
    (ITEMS, "post", 415, lambda c: c.post(ITEMS, data="n", content_type="text/plain")),
    (ITEMS, "post", 422, lambda c: c.post(ITEMS, json={})),
    (ITEM, "get", 200, lambda c: c.get(f"{ITEMS}/{_item(c)}")),
    (ITEM, "get", 404, lambda c: c.get(f"{ITEMS}/99999")),
    (ITEM, "patch", 200, lambda c: c.patch(f"{ITEMS}/{_item(c)}", json={"quantity": 1})),
    (ITEM, "patch", 400, lambda c: c.patch(f"{ITEMS}/{_item(c)}", data="[", content_type="application/json")),
    (ITEM, "patch", 404, lambda c: c.patch(f"{ITEMS}/99999", json={})),
    (ITEM, "patch", 409, lambda c: (_item(c, "n"), c.patch(f"{ITEMS}/{_item(c)}", json={"name": "n"}))[1]),
    (ITEM, "patch", 415, lambda c: c.patch(f"{ITEMS}/{_item(c)}", data="n", content_type="text/plain")),
    (ITEM, "patch", 422, lambda c: c.patch(f"{ITEMS}/{_item(c)}", json={"name": ""})),
    (ITEM, "delete", 204, lambda c: c.delete(f"{ITEMS}/{_item(c)}")),
    (ITEM, "delete", 404, lambda c: c.delete(f"{ITEMS}/99999")),
]
# Statuses that need the database to be down; test_errors and test_health produce them.
DATABASE_DOWN = {
    ("/readyz", "get", 503),
    (ITEMS, "get", 503),
    (ITEMS, "post", 503),
    (ITEM, "get", 503),
    (ITEM, "patch", 503),
    (ITEM, "delete", 503),
}


def test_examples_cover_every_documented_status() -> None:
    documented = {
        (path, method, int(status))
        for path, operations in document()["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        for status in operation["responses"]
    }
    covered = {(path, method, status) for path, method, status, _ in EXAMPLES} | DATABASE_DOWN
    assert covered == documented


@pytest.mark.parametrize(
    ("path", "method", "status", "call"),
    EXAMPLES,
    ids=[f"{method.upper()} {path} {status}" for path, method, status, _ in EXAMPLES],
)
def test_documented_status_is_what_the_app_returns(
    client: FlaskClient, path: str, method: str, status: int, call: Call
) -> None:
    response = call(client)
    assert response.status_code == status
    body = response.get_data()
    if status >= 400:
        assert set(json.loads(body)) == {"error"}


@pytest.mark.parametrize(("method", "path"), [("get", ITEM), ("patch", ITEM), ("delete", ITEM)])
def test_database_down_statuses_are_documented(make_app: Callable[..., Flask], method: str, path: str) -> None:
    app = make_app(DATABASE_URL="postgresql://app@127.0.0.1:1/app", DATABASE_CONNECT_TIMEOUT="1")
    url = path.replace("{item_id}", "1")
    response = getattr(app.test_client(), method)(url, json={})
    assert response.status_code == 503
    assert "503" in document()["paths"][path][method]["responses"]
