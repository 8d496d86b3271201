"""`/_test/slow` exists only when ENABLE_TEST_ROUTES=1 and refuses silly durations."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }} import create_app


def test_slow_sleeps_then_answers(client: FlaskClient) -> None:
    response = client.get("/_test/slow?seconds=0.05")
    assert response.status_code == 200
    assert response.get_json() == {"slept": 0.05}


@pytest.mark.parametrize("seconds", ["-1", "21", "20.5", "abc", "nan", "inf"])
def test_slow_rejects_bad_durations(client: FlaskClient, seconds: str) -> None:
    response = client.get(f"/_test/slow?seconds={seconds}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"seconds": "must be a number from 0 to 20"}


def test_slow_accepts_the_longest_duration_it_allows(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    assert client.get("/_test/slow?seconds=20").status_code == 200
    assert slept == [20.0]


def test_test_routes_are_off_by_default(database_url: str) -> None:
    app = create_app({"APP_ENV": "test", "DATABASE_URL": database_url})
    assert app.test_client().get("/_test/slow?seconds=0").status_code == 404
