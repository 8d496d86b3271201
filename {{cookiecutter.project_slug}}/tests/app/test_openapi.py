"""The OpenAPI document: valid, reviewed (equal to the committed snapshot), and true to what the app does.

After an intended API change, regenerate the snapshot and commit it with the change:
`flask --app {{ cookiecutter.package_name }}.wsgi openapi --output openapi.json --indent 2`
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from werkzeug.test import TestResponse

from .conftest import PROJECT_ROOT

SNAPSHOT = PROJECT_ROOT / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}
# Probes and files are for the platform, test routes are never deployed: none is part of the API.
UNDOCUMENTED = ("/livez", "/readyz", "/openapi.json", "/static/", "/_test/")
ITEMS = "/api/v1/items"
ITEM = "/api/v1/items/{item_id}"


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.get_json()
    return served


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_document_is_the_committed_snapshot(document: dict[str, Any]) -> None:
    regenerate = f"flask --app {{ cookiecutter.package_name }}.wsgi openapi --output {SNAPSHOT.name} --indent 2"
    assert document == json.loads(SNAPSHOT.read_text()), (
        f"The API changed: review the difference, then run `{regenerate}` and commit {SNAPSHOT.name}."
    )


def test_regenerating_the_snapshot_without_an_api_change_changes_no_byte(app: Flask, tmp_path: Path) -> None:
    regenerated = tmp_path / SNAPSHOT.name
    result = app.test_cli_runner().invoke(args=["openapi", "--output", str(regenerated), "--indent", "2"])
    assert result.exit_code == 0, result.output
    assert regenerated.read_bytes() == SNAPSHOT.read_bytes()


def test_document_lists_exactly_the_registered_routes(app: Flask, document: dict[str, Any]) -> None:
    registered = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if not path.startswith(UNDOCUMENTED):
            registered |= {(path, method.lower()) for method in rule.methods or () if method.lower() in METHODS}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert documented == registered


def test_writes_need_the_bearer_scheme_and_reads_do_not(document: dict[str, Any]) -> None:
    secured = {
        (path, method): operation.get("security")
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert secured[(ITEMS, "get")] is None
    assert secured[(ITEMS, "post")] == [{"bearerAuth": []}]
    for (path, method), security in secured.items():
        assert (security == [{"bearerAuth": []}]) == (method in ("post", "put", "patch", "delete")), (path, method)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def _item(client: FlaskClient, name: str = "documented") -> str:
    location: str = client.post(ITEMS, json={"name": name}).headers["Location"]
    return location


def _stale(client: FlaskClient, method: str, **kwargs: Any) -> TestResponse:
    """`method` on an item with an If-Match header naming a version the item no longer has."""
    created = client.post(ITEMS, json={"name": "stale"})
    client.patch(created.headers["Location"], json={"quantity": 1})
    response: TestResponse = client.open(
        created.headers["Location"], method=method, headers={"If-Match": created.headers["ETag"]}, **kwargs
    )
    return response


Call = Callable[[FlaskClient, FlaskClient], TestResponse]
JSON = "application/json"
BIG = {"name": "n", "description": "x" * 2**20}

# One request per documented (path, method, status), made by `c` (with a token) or `a` (without).
EXAMPLES: list[tuple[str, str, int, Call]] = [
    (ITEMS, "get", 200, lambda c, a: a.get(ITEMS)),
    (ITEMS, "get", 405, lambda c, a: c.put(ITEMS, json={})),
    (ITEMS, "get", 422, lambda c, a: a.get(f"{ITEMS}?limit=0")),
    (ITEMS, "post", 201, lambda c, a: c.post(ITEMS, json={"name": "n"})),
    (ITEMS, "post", 400, lambda c, a: c.post(ITEMS, data="{", content_type=JSON)),
    (ITEMS, "post", 401, lambda c, a: a.post(ITEMS, json={"name": "n"})),
    (ITEMS, "post", 405, lambda c, a: c.put(ITEMS, json={})),
    (ITEMS, "post", 409, lambda c, a: (_item(c, "n"), c.post(ITEMS, json={"name": "n"}))[1]),
    (ITEMS, "post", 413, lambda c, a: c.post(ITEMS, json=BIG)),
    (ITEMS, "post", 415, lambda c, a: c.post(ITEMS, data="n", content_type="text/plain")),
    (ITEMS, "post", 422, lambda c, a: c.post(ITEMS, json={})),
    (ITEM, "get", 200, lambda c, a: a.get(_item(c))),
    (ITEM, "get", 404, lambda c, a: a.get(f"{ITEMS}/99999")),
    (ITEM, "get", 405, lambda c, a: c.put(f"{ITEMS}/1", json={})),
    (ITEM, "get", 412, lambda c, a: _stale(c, "GET")),
    (ITEM, "get", 422, lambda c, a: a.get(f"{ITEMS}/0")),
    (ITEM, "patch", 200, lambda c, a: c.patch(_item(c), json={"quantity": 1})),
    (ITEM, "patch", 400, lambda c, a: c.patch(_item(c), data="[", content_type=JSON)),
    (ITEM, "patch", 401, lambda c, a: a.patch(_item(c), json={})),
    (ITEM, "patch", 404, lambda c, a: c.patch(f"{ITEMS}/99999", json={})),
    (ITEM, "patch", 405, lambda c, a: c.put(f"{ITEMS}/1", json={})),
    (ITEM, "patch", 409, lambda c, a: (_item(c, "n"), c.patch(_item(c), json={"name": "n"}))[1]),
    (ITEM, "patch", 412, lambda c, a: _stale(c, "PATCH", json={})),
    (ITEM, "patch", 413, lambda c, a: c.patch(_item(c), json=BIG)),
    (ITEM, "patch", 415, lambda c, a: c.patch(_item(c), data="n", content_type="text/plain")),
    (ITEM, "patch", 422, lambda c, a: c.patch(_item(c), json={"name": ""})),
    (ITEM, "delete", 204, lambda c, a: c.delete(_item(c))),
    (ITEM, "delete", 401, lambda c, a: a.delete(_item(c))),
    (ITEM, "delete", 404, lambda c, a: c.delete(f"{ITEMS}/99999")),
    (ITEM, "delete", 405, lambda c, a: c.put(f"{ITEMS}/1", json={})),
    (ITEM, "delete", 412, lambda c, a: _stale(c, "DELETE")),
    (ITEM, "delete", 422, lambda c, a: c.delete(f"{ITEMS}/0")),
]
# Produced by the tests below and by test_errors, test_auth (503) and test_db (504, a statement timeout);
# 414 by gunicorn, in front of the app (tests/reliability of the template meets it).
ELSEWHERE = {414, 500, 503, 504}
# Needs a table referring to items: test_items makes one.
IN_TEST_ITEMS = {(ITEM, "delete", 409)}


def test_examples_cover_every_documented_status_of_items(document: dict[str, Any]) -> None:
    documented = {
        (path, method, int(status))
        for path, operations in document["paths"].items()
        if path in (ITEMS, ITEM)  # The sample resource; others bring their own tests.
        for method, operation in operations.items()
        for status in operation["responses"]
        if int(status) not in ELSEWHERE
    }
    assert {(path, method, status) for path, method, status, _ in EXAMPLES} | IN_TEST_ITEMS == documented


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        for part in node["$ref"].removeprefix("#/").split("/"):
            document = document[part]
        node = document
    return node


def check_response(document: dict[str, Any], path: str, method: str, response: TestResponse) -> None:
    """The response's status, headers and body are what the document says for this operation."""
    operation = document["paths"][path][method]
    documented = _resolve(document, operation["responses"][str(response.status_code)])
    for header in documented.get("headers", {}):
        assert response.headers.get(header), f"{header} is documented but missing"
    if "content" not in documented:
        assert response.data == b""
        return
    schema = {**documented["content"]["application/json"]["schema"], "components": document["components"]}
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(response.get_json())]
    assert errors == [], response.get_json()


@pytest.mark.parametrize(
    ("path", "method", "status", "call"),
    EXAMPLES,
    ids=[f"{method.upper()} {path} {status}" for path, method, status, _ in EXAMPLES],
)
def test_each_documented_response_is_what_the_app_sends(
    client: FlaskClient,
    anonymous: FlaskClient,
    document: dict[str, Any],
    path: str,
    method: str,
    status: int,
    call: Call,
) -> None:
    response = call(client, anonymous)
    assert response.status_code == status, response.get_data(as_text=True)
    check_response(document, path, method, response)


def test_a_500_matches_the_document(make_app: Callable[..., Flask], document: dict[str, Any]) -> None:
    def explode(**_: Any) -> str:
        raise RuntimeError("boom")

    app = make_app()
    app.view_functions["items.list_items"] = explode
    response = app.test_client().get(ITEMS)
    assert response.status_code == 500
    check_response(document, ITEMS, "get", response)


def test_a_503_matches_the_document(make_app: Callable[..., Flask], document: dict[str, Any]) -> None:
    app = make_app(DATABASE_URL="postgresql://app@127.0.0.1:1/app", DATABASE_CONNECT_TIMEOUT="1")
    response = app.test_client().get(f"{ITEMS}/1")
    assert response.status_code == 503
    check_response(document, ITEM, "get", response)


def test_reads_need_a_token_when_the_setting_says_so(make_app: Callable[..., Flask]) -> None:
    app = make_app(AUTH_REQUIRED_FOR_READS="1")
    document = app.test_client().get("/openapi.json").get_json()
    assert document["paths"][ITEMS]["get"]["security"] == [{"bearerAuth": []}]
    assert "401" in document["paths"][ITEMS]["get"]["responses"]
