"""Configuration: precedence, validation and the rules of the deployed environments."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from {{ cookiecutter.package_name }}.settings import ConfigError, Settings, load_server_settings, load_settings

PG = "postgresql://app:secret@db.internal:5432/app"


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], None]:
    def set_all(values: dict[str, str]) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_all


def problems(override: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(override)
    return str(raised.value)


def test_defaults_are_a_development_app() -> None:
    settings = load_settings()
    assert settings.app_env == "development"
    assert settings.database_url == ""
    assert settings.max_content_length == 1048576
    assert settings.database_pool_size == 5
    assert settings.log_level == "INFO"
    assert not settings.enable_test_routes
    assert not settings.debug
    assert not settings.deployed


def test_override_beats_environment_beats_defaults(environ: Callable[[dict[str, str]], None]) -> None:
    environ({"LOG_LEVEL": "warning", "MAX_CONTENT_LENGTH": "2048"})
    settings = load_settings({"LOG_LEVEL": "ERROR", "TESTING": True})
    assert settings.log_level == "ERROR"
    assert settings.max_content_length == 2048


def test_unknown_environment_variables_are_ignored(environ: Callable[[dict[str, str]], None]) -> None:
    environ({"HOME": "/root", "SECRET_KEY": "x"})
    assert load_settings() == Settings()


def test_postgres_scheme_alias_is_pinned_to_psycopg2() -> None:
    settings = load_settings({"APP_ENV": "production", "DATABASE_URL": "postgres://u:p@h/db"})
    assert settings.database_url == "postgresql+psycopg2://u:p@h/db"
    assert settings.deployed


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"APP_ENV": "prod"}, "APP_ENV='prod': Input should be 'development', 'test', 'staging' or 'production'."),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='LOUD': Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'."),
        ({"MAX_CONTENT_LENGTH": "big"}, "MAX_CONTENT_LENGTH='big': must be a whole number."),
        ({"MAX_CONTENT_LENGTH": "10"}, "MAX_CONTENT_LENGTH='10': Input should be greater than or equal to 1024."),
        (
            {"ENABLE_TEST_ROUTES": "maybe"},
            "ENABLE_TEST_ROUTES='maybe': must be 1 or 0 (also true/false, yes/no, on/off).",
        ),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL='not a url': is not a database URL"),
        (
            {"DATABASE_URL": "mysql://u@h/db"},
            "DATABASE_URL='mysql://u@h/db': uses 'mysql'; use postgresql:// or sqlite://.",
        ),
        ({"APP_ENV": "test"}, "DATABASE_URL (or DATABASE_HOST) is required when APP_ENV is test."),
        (
            {"DATABASE_URL": PG, "DATABASE_SECRET_ID": "s"},
            "set DATABASE_URL, or DATABASE_HOST with DATABASE_USER or DATABASE_SECRET_ID, not both.",
        ),
        ({"DATABASE_HOST": "h"}, "DATABASE_HOST needs DATABASE_NAME and DATABASE_USER or DATABASE_SECRET_ID."),
        ({"DATABASE_PORT": "0"}, "DATABASE_PORT='0': Input should be greater than or equal to 1."),
    ],
)
def test_a_bad_setting_is_named_with_what_is_allowed(override: dict[str, str], message: str) -> None:
    assert message in problems(override)


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_deployed_environments_refuse_sqlite_debug_and_test_routes(app_env: str) -> None:
    text = problems(
        {"APP_ENV": app_env, "DATABASE_URL": "sqlite:///x.db", "FLASK_DEBUG": "1", "ENABLE_TEST_ROUTES": "1"}
    )
    assert text == (
        "invalid configuration:\n"
        f"  FLASK_DEBUG must be off when APP_ENV is {app_env}.\n"
        f"  ENABLE_TEST_ROUTES must be off when APP_ENV is {app_env}.\n"
        f"  SQLite is not allowed when APP_ENV is {app_env}; use PostgreSQL."
    )


def test_debug_given_as_flasks_own_key_counts() -> None:
    with pytest.raises(ConfigError, match="FLASK_DEBUG must be off"):
        load_settings({"APP_ENV": "production", "DATABASE_URL": PG, "DEBUG": True})


def test_every_problem_is_reported_at_once() -> None:
    text = problems({"APP_ENV": "nope", "LOG_LEVEL": "nope", "MAX_CONTENT_LENGTH": "nope"})
    assert text.count("\n") == 3
    assert text.startswith("invalid configuration:\n  APP_ENV='nope'")


def test_the_deployed_database_is_a_host_with_a_role_or_a_secret() -> None:
    settings = load_settings(
        {"APP_ENV": "production", "DATABASE_HOST": "db.internal", "DATABASE_NAME": "app", "DATABASE_USER": "app_role"}
    )
    assert (settings.database_host, settings.database_port, settings.database_user) == ("db.internal", 5432, "app_role")


def test_server_settings_keep_gunicorn_alive_longer_than_the_load_balancer() -> None:
    server = load_server_settings()
    assert server.gunicorn_keepalive == 75  # The ALB's idle timeout is 60 s.
    assert (server.port, server.gunicorn_threads, server.gunicorn_timeout) == (8000, 4, 30)


def test_a_bad_server_setting_is_one_message(environ: Callable[[dict[str, str]], None]) -> None:
    environ({"WEB_CONCURRENCY": "abc", "GUNICORN_KEEPALIVE": "0"})
    with pytest.raises(ConfigError) as raised:
        load_server_settings()
    assert str(raised.value) == (
        "invalid configuration:\n"
        "  WEB_CONCURRENCY='abc': must be a whole number.\n"
        "  GUNICORN_KEEPALIVE='0': Input should be greater than or equal to 1."
    )
