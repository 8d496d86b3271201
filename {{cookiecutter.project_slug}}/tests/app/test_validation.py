"""Validation helpers, outside HTTP."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.ctx import RequestContext
from werkzeug.exceptions import RequestEntityTooLarge

from {{ cookiecutter.package_name }}.errors import ApiError
from {{ cookiecutter.package_name }}.validation import PAGE_LIMIT_DEFAULT, item_fields, json_object, page


def test_partial_update_may_leave_out_every_field() -> None:
    assert item_fields({}, partial=True) == {}


def test_every_bad_field_is_reported_together() -> None:
    with pytest.raises(ApiError) as raised:
        item_fields({"name": "", "quantity": "3", "extra": 1}, partial=False)
    assert raised.value.status == 422
    assert sorted(raised.value.fields or {}) == ["extra", "name", "quantity"]


def test_page_defaults(app: Flask) -> None:
    with app.test_request_context("/api/v1/items"):
        assert page() == (PAGE_LIMIT_DEFAULT, 0)


def test_page_reports_both_parameters(app: Flask) -> None:
    with app.test_request_context("/api/v1/items?limit=1000&offset=x"), pytest.raises(ApiError) as raised:
        page()
    assert sorted(raised.value.fields or {}) == ["limit", "offset"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"name": " \t\n"}, "name"),
        ({"name": "\ud800"}, "name"),
        ({"name": "a", "description": "nul \x00"}, "description"),
        ({"name": "a", "quantity": 7.5}, "quantity"),
    ],
)
def test_strings_postgresql_cannot_store_are_refused(fields: dict[str, object], bad: str) -> None:
    with pytest.raises(ApiError) as raised:
        item_fields(fields, partial=False)
    assert list(raised.value.fields or {}) == [bad]


def test_integral_floats_are_whole_numbers() -> None:
    assert item_fields({"name": "a", "quantity": 7.0}, partial=False) == {"name": "a", "quantity": 7}


@pytest.mark.parametrize("limit", ["\u00b2", "\u0663", "1" * 11, "+5", " 5", ["1", "2"]])
def test_only_ascii_digits_given_once_make_a_limit(app: Flask, limit: str | list[str]) -> None:
    with app.test_request_context("/api/v1/items", query_string={"limit": limit}), pytest.raises(ApiError) as raised:
        page()
    assert list(raised.value.fields or {}) == ["limit"]


def chunked_post(app: Flask, body: bytes) -> RequestContext:
    """A POST whose body arrives chunked, with no Content-Length (as gunicorn hands it over)."""
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    environ = {"wsgi.input_terminated": True}
    context = app.test_request_context(
        "/api/v1/items", method="POST", data=body, headers=headers, environ_overrides=environ
    )
    context.request.environ.pop("CONTENT_LENGTH", None)
    return context


def test_a_chunked_body_past_the_limit_is_413(app: Flask) -> None:
    body = b'{"name": "' + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    with chunked_post(app, body), pytest.raises(RequestEntityTooLarge):
        json_object()


def test_a_chunked_body_within_the_limit_is_read(app: Flask) -> None:
    with chunked_post(app, b'{"name": "a"}'):
        assert json_object() == {"name": "a"}
