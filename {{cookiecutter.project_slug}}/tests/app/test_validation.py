"""Validation helpers, outside HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.errors import ApiError
from {{ cookiecutter.package_name }}.validation import PAGE_LIMIT_DEFAULT, item_fields, page


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
