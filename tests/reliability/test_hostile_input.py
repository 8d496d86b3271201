"""Hostile requests against the served app: each gets its documented 4xx as JSON, and nothing is written.

Every case asserts three things: the status is the one the API promises (and the OpenAPI document
lists it for that operation), the body is the JSON error envelope with no stack trace, and the
items table is unchanged afterwards (checked with SQL, not through the API).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid

import harness
import pytest
import requests

ITEMS = "/api/v1/items"


@pytest.fixture(scope="module")
def openapi(server) -> dict:
    return requests.get(server.url + "/openapi.json", timeout=10).json()


def documented_statuses(openapi: dict, method: str, path: str) -> set[str]:
    """Response codes the OpenAPI document lists for the operation that serves `path`."""
    for template, operations in openapi["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return set(operations[method.lower()]["responses"])
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def item_rows(db) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute("SELECT id, name, description, quantity, updated_at FROM items ORDER BY id")
        return cur.fetchall()


def assert_json_error(response: requests.Response, status: int, openapi: dict, method: str, path: str) -> dict:
    assert response.status_code == status, f"{method} {path}: got {response.status_code}: {response.text[:500]}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    assert "Traceback" not in response.text and 'File "' not in response.text, response.text[:500]
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    documented = documented_statuses(openapi, method, path)
    assert str(status) in documented or f"{str(status)[0]}XX" in documented, (
        f"{method} {path} answered {status}, which its OpenAPI operation does not list ({sorted(documented)})"
    )
    return error


@pytest.fixture
def existing_item(server, db) -> dict:
    response = harness.api().post(server.url + ITEMS, json={"name": f"existing-{uuid.uuid4().hex}"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# -- bodies --------------------------------------------------------------------------------------

BAD_BODIES = {
    "malformed-json": (b'{"name": "half', "application/json", 400),
    "json-array": (b'[{"name": "x"}]', "application/json", 400),
    "json-string": (b'"just a string"', "application/json", 400),
    "json-null": (b"null", "application/json", 400),
    "empty-body": (b"", "application/json", 400),
    "invalid-utf8": (b'{"name": "\xff\xfe"}', "application/json", 400),
    "text-plain": (b'{"name": "looks like json"}', "text/plain", 415),
    "form-encoded": (b"name=form", "application/x-www-form-urlencoded", 415),
    "no-content-type": (b'{"name": "x"}', None, 415),
    "xml": (b"<item><name>x</name></item>", "application/xml", 415),
}


@pytest.mark.parametrize("case", list(BAD_BODIES), ids=list(BAD_BODIES))
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_bad_body_is_refused_and_nothing_is_written(server, db, openapi, existing_item, case, method):
    body, content_type, status = BAD_BODIES[case]
    path = ITEMS if method == "POST" else f"{ITEMS}/{existing_item['id']}"
    before = item_rows(db)
    headers = {"Content-Type": content_type} if content_type else {}
    response = harness.api().request(method, server.url + path, data=body, headers=headers, timeout=10)
    assert_json_error(response, status, openapi, method, path)
    assert item_rows(db) == before


BAD_FIELDS = {
    "missing-name": {"quantity": 1},
    "empty-name": {"name": ""},
    "blank-name": {"name": "   \t\n "},
    "name-too-long": {"name": "x" * 101},
    "name-100k": {"name": "y" * 100_000},
    "name-101-emoji": {"name": "\U0001f680" * 101},
    "name-not-string": {"name": 12},
    "name-null": {"name": None},
    "name-object": {"name": {"$ne": ""}},
    "name-nul-byte": {"name": "nul\u0000byte"},
    "name-lone-surrogate": {"name": "lone\ud800surrogate"},
    "description-too-long": {"name": "d", "description": "z" * 1001},
    "description-nul-byte": {"name": "d", "description": "a\u0000b"},
    "quantity-negative": {"name": "q", "quantity": -1},
    "quantity-huge": {"name": "q", "quantity": 10**30},
    "quantity-float": {"name": "q", "quantity": 1.5},
    "quantity-bool": {"name": "q", "quantity": True},
    "quantity-string": {"name": "q", "quantity": "7"},
    "unknown-field": {"name": "u", "id": 5},
    "sql-ish-field-name": {"name": "s", "name); DROP TABLE items; --": 1},
}


@pytest.mark.parametrize("case", list(BAD_FIELDS), ids=list(BAD_FIELDS))
def test_invalid_fields_get_422_naming_the_field_and_nothing_is_written(server, db, openapi, case):
    payload = dict(BAD_FIELDS[case])
    if isinstance(payload.get("name"), str) and case.startswith(("description", "quantity", "unknown", "sql")):
        payload["name"] = unique(payload["name"])
    before = item_rows(db)
    # json.dumps keeps a lone surrogate as the escape \ud800, which is valid JSON text.
    response = harness.api().post(
        server.url + ITEMS, data=json.dumps(payload), timeout=10, headers={"Content-Type": "application/json"}
    )
    error = assert_json_error(response, 422, openapi, "POST", ITEMS)
    assert error.get("fields"), f"the 422 should name the bad field: {error}"
    assert item_rows(db) == before


@pytest.mark.parametrize("case", ["name-nul-byte", "name-lone-surrogate", "quantity-huge", "name-too-long"])
def test_invalid_update_gets_422_and_the_item_is_unchanged(server, db, openapi, existing_item, case):
    path = f"{ITEMS}/{existing_item['id']}"
    before = item_rows(db)
    response = harness.api().patch(
        server.url + path, data=json.dumps(BAD_FIELDS[case]), timeout=10, headers={"Content-Type": "application/json"}
    )
    assert_json_error(response, 422, openapi, "PATCH", path)
    assert item_rows(db) == before


def test_oversized_body_gets_413_and_nothing_is_written(server, db, openapi):
    before = item_rows(db)
    body = json.dumps({"name": unique("big"), "description": "b" * (2 * 1024 * 1024)}).encode()
    response = harness.api().post(
        server.url + ITEMS, data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_json_error(response, 413, openapi, "POST", ITEMS)
    assert item_rows(db) == before


def test_oversized_chunked_body_without_content_length_gets_413(server, db, openapi):
    """A body streamed with Transfer-Encoding: chunked has no length to check up front."""
    before = item_rows(db)
    name = unique("chunked")

    def chunks():
        yield b'{"name": "' + name.encode() + b'", "description": "'
        for _ in range(64):
            yield b"c" * 32768
        yield b'"}'

    response = harness.api().post(
        server.url + ITEMS, data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert_json_error(response, 413, openapi, "POST", ITEMS)
    assert item_rows(db) == before


def test_slow_partial_request_does_not_block_other_clients(server):
    """A client that sends half a request and stalls must not stop the app answering others."""
    stalled = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(8)]
    try:
        for sock in stalled:
            sock.sendall(b"POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        response = requests.get(server.url + "/livez", timeout=10)
        assert response.status_code == 200
    finally:
        for sock in stalled:
            sock.close()


# -- strings that must survive -------------------------------------------------------------------

GOOD_NAMES = {
    "emoji": "rocket \U0001f680 \U0001f469\u200d\U0001f4bb",
    "cjk": "\u540d\u524d\u3068\u8aac\u660e",
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "combining": "e\u0301\u0301\u0301 zalgo",
    "max-length-astral": "\U0001d54f" * 100,
    "quotes-and-sql": "'; DROP TABLE items; --\"",
    "html": "<script>alert(1)</script>",
}


@pytest.mark.parametrize("case", list(GOOD_NAMES), ids=list(GOOD_NAMES))
def test_unicode_and_long_strings_round_trip_exactly(server, db, case):
    name = GOOD_NAMES[case] if case == "max-length-astral" else f"{GOOD_NAMES[case]} {uuid.uuid4().hex[:8]}"
    if case == "max-length-astral":
        with db.cursor() as cur:
            cur.execute("DELETE FROM items WHERE name = %s", (name,))
    description = "\u00e9\U0001f600" * 500  # 1000 characters, 3000 UTF-8 bytes: at the limit
    response = harness.api().post(server.url + ITEMS, json={"name": name, "description": description}, timeout=10)
    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["name"], item["description"]) == (name, description)
    assert requests.get(f"{server.url}{ITEMS}/{item['id']}", timeout=10).json()["name"] == name
    with db.cursor() as cur:
        cur.execute("SELECT name, description FROM items WHERE id = %s", (item["id"],))
        assert cur.fetchone() == (name, description)


# -- pagination ----------------------------------------------------------------------------------

BAD_PAGES = {
    "limit-negative": "limit=-1",
    "limit-zero": "limit=0",
    "limit-over-max": "limit=101",
    "limit-huge": "limit=" + "9" * 40,
    "limit-float": "limit=1.5",
    "limit-word": "limit=ten",
    "limit-empty": "limit=",
    "limit-superscript-digit": "limit=%C2%B2",
    "limit-spaces": "limit=%205",
    "offset-negative": "offset=-5",
    "offset-huge": "offset=" + "9" * 40,
    "offset-past-int32": "offset=2147483648",
    "offset-hex": "offset=0x10",
}


@pytest.mark.parametrize("case", list(BAD_PAGES), ids=list(BAD_PAGES))
def test_bad_pagination_gets_422_naming_the_parameter(server, openapi, case):
    query = BAD_PAGES[case]
    response = requests.get(f"{server.url}{ITEMS}?{query}", timeout=10)
    error = assert_json_error(response, 422, openapi, "GET", ITEMS)
    assert query.split("=")[0] in error.get("fields", {}), error


def test_pagination_walks_every_item_exactly_once(server, db):
    names = {unique("page") for _ in range(7)}
    for name in names:
        assert harness.api().post(server.url + ITEMS, json={"name": name}, timeout=10).status_code == 201
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        body = requests.get(f"{server.url}{ITEMS}?limit=3&offset={offset}", timeout=10).json()
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        offset = body["next_offset"]
    with db.cursor() as cur:
        cur.execute("SELECT id FROM items ORDER BY id")
        assert seen == [row[0] for row in cur.fetchall()]


def test_offset_beyond_the_end_is_an_empty_page(server):
    body = requests.get(f"{server.url}{ITEMS}?offset=2147483647", timeout=10).json()
    assert body["items"] == [] and body["next_offset"] is None


# -- duplicates and missing ids ------------------------------------------------------------------


def test_duplicate_create_gets_409_and_one_row(server, db, openapi):
    name = unique("dup")
    first = harness.api().post(server.url + ITEMS, json={"name": name}, timeout=10)
    assert first.status_code == 201, first.text
    before = item_rows(db)
    for variant in (name, f"  {name}  "):
        error = assert_json_error(
            harness.api().post(server.url + ITEMS, json={"name": variant, "quantity": 9}, timeout=10),
            409,
            openapi,
            "POST",
            ITEMS,
        )
        assert "name" in error.get("fields", {}), error
    assert item_rows(db) == before


def test_concurrent_duplicate_creates_yield_exactly_one_201(server, db):
    name = unique("race")
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def create():
        barrier.wait()
        statuses.append(harness.api().post(server.url + ITEMS, json={"name": name}, timeout=20).status_code)

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 11, statuses
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM items WHERE name = %s", (name,))
        assert cur.fetchone()[0] == 1


def test_rename_onto_an_existing_name_gets_409_and_changes_nothing(server, db, openapi, existing_item):
    other = harness.api().post(server.url + ITEMS, json={"name": unique("other")}, timeout=10).json()
    path = f"{ITEMS}/{other['id']}"
    before = item_rows(db)
    assert_json_error(
        harness.api().patch(server.url + path, json={"name": existing_item["name"]}, timeout=10),
        409,
        openapi,
        "PATCH",
        path,
    )
    assert item_rows(db) == before


MISSING_IDS = ["987654321", "2147483648", "9223372036854775808", "9" * 40]


@pytest.mark.parametrize("item_id", MISSING_IDS, ids=["absent", "past-int32", "past-int64", "40-digits"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_missing_id_gets_404_and_nothing_is_written(server, db, openapi, method, item_id):
    path = f"{ITEMS}/{item_id}"
    before = item_rows(db)
    body = {"json": {"quantity": 3}} if method == "PATCH" else {}
    assert_json_error(harness.api().request(method, server.url + path, timeout=10, **body), 404, openapi, method, path)
    assert item_rows(db) == before


def test_deleted_item_is_gone_and_a_second_delete_is_404(server, db, openapi, existing_item):
    path = f"{ITEMS}/{existing_item['id']}"
    assert harness.api().delete(server.url + path, timeout=10).status_code == 204
    assert_json_error(harness.api().delete(server.url + path, timeout=10), 404, openapi, "DELETE", path)
    assert_json_error(requests.get(server.url + path, timeout=10), 404, openapi, "GET", path)
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM items WHERE id = %s", (existing_item["id"],))
        assert cur.fetchone()[0] == 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PUT", f"{ITEMS}/1", 405),
        ("DELETE", ITEMS, 405),
        ("GET", "/api/v1/nothing-here", 404),
        ("GET", f"{ITEMS}/not-a-number", 404),
        ("GET", f"{ITEMS}/-1", 404),
    ],
)
def test_unknown_routes_and_methods_get_json_errors(server, method, path, status):
    response = harness.api().request(method, server.url + path, timeout=10)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"]
    if status == 405:
        assert response.headers.get("Allow"), "a 405 must say which methods are allowed"
