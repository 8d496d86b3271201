"""Configuration: precedence, validation and the rules of the deployed environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, Settings, load_settings

PG = "postgresql://app:secret@db.internal:5432/app"


def load(environ: dict[str, str], override: dict[str, object] | None = None) -> Settings:
    return load_settings(environ, override, instance_path=Path("/srv/instance"))


def problems(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as raised:
        load(environ)
    return str(raised.value)


def test_defaults_give_a_development_sqlite_file() -> None:
    settings = load({})
    assert settings.app_env == "development"
    assert settings.database_url.render_as_string() == "sqlite:////srv/instance/dev.sqlite3"
    assert settings.max_content_length == 1048576
    assert settings.log_level == "INFO"
    assert not settings.enable_test_routes
    assert not settings.debug
    assert not settings.deployed


def test_override_beats_environment_beats_defaults() -> None:
    settings = load({"LOG_LEVEL": "warning", "MAX_CONTENT_LENGTH": "2048"}, {"LOG_LEVEL": "ERROR"})
    assert settings.log_level == "ERROR"
    assert settings.max_content_length == 2048


def test_unknown_environment_variables_are_ignored() -> None:
    assert load({"HOME": "/root", "SECRET_KEY": "x"}) == load({})


def test_postgres_scheme_alias_is_normalised() -> None:
    settings = load({"APP_ENV": "production", "DATABASE_URL": "postgres://u:p@h/db"})
    assert settings.database_url.drivername == "postgresql+psycopg2"
    assert settings.deployed


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"APP_ENV": "prod"}, "APP_ENV='prod' is not allowed; use one of development, test"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='LOUD' is not allowed"),
        ({"MAX_CONTENT_LENGTH": "big"}, "MAX_CONTENT_LENGTH='big' must be a whole number"),
        ({"MAX_CONTENT_LENGTH": "10"}, "MAX_CONTENT_LENGTH='10' must be a whole number from 1024"),
        ({"ENABLE_TEST_ROUTES": "maybe"}, "ENABLE_TEST_ROUTES='maybe' must be 1 or 0"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL uses 'mysql'"),
        ({"APP_ENV": "test"}, "DATABASE_URL (or DATABASE_SECRET_ID) is required when APP_ENV is test"),
        (
            {"DATABASE_URL": PG, "DATABASE_SECRET_ID": "s"},
            "DATABASE_URL and DATABASE_SECRET_ID are both set",
        ),
        ({"DATABASE_SECRET_ID": "s", "DATABASE_NAME": "app"}, "DATABASE_HOST is required"),
        ({"DATABASE_SECRET_ID": "s", "DATABASE_HOST": "h"}, "DATABASE_NAME is required"),
        (
            {"DATABASE_SECRET_ID": "s", "DATABASE_HOST": "h", "DATABASE_NAME": "n", "DATABASE_PORT": "0"},
            "DATABASE_PORT='0' must be a whole number from 1 to 65535",
        ),
    ],
)
def test_bad_setting_is_named(environ: dict[str, str], message: str) -> None:
    assert message in problems(environ)


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_deployed_environments_refuse_sqlite_debug_and_test_routes(app_env: str) -> None:
    text = problems(
        {
            "APP_ENV": app_env,
            "DATABASE_URL": "sqlite:///x.db",
            "FLASK_DEBUG": "1",
            "ENABLE_TEST_ROUTES": "1",
        }
    )
    assert f"FLASK_DEBUG must be off when APP_ENV is {app_env}" in text
    assert f"ENABLE_TEST_ROUTES must be off when APP_ENV is {app_env}" in text
    # The URL is checked only once the rest is sane, so fix the rest and look again.
    assert f"SQLite is not allowed when APP_ENV is {app_env}" in problems(
        {"APP_ENV": app_env, "DATABASE_URL": "sqlite:///x.db"}
    )


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_deployed_environments_refuse_debug_given_as_flask_key(app_env: str) -> None:
    with pytest.raises(ConfigError, match="FLASK_DEBUG must be off"):
        load({"APP_ENV": app_env, "DATABASE_URL": PG}, {"DEBUG": True})


def test_every_problem_is_reported_at_once() -> None:
    text = problems({"APP_ENV": "nope", "LOG_LEVEL": "nope", "MAX_CONTENT_LENGTH": "nope"})
    assert text.count("\n") == 3
    assert text.startswith("invalid configuration:")


def test_secret_is_read_only_with_host_and_name() -> None:
    calls: list[str] = []

    def read_secret(secret_id: str) -> tuple[str, str]:
        calls.append(secret_id)
        return "app", "p@ss/word"

    settings = load_settings(
        {"DATABASE_SECRET_ID": "rds!db-1", "DATABASE_HOST": "db.internal", "DATABASE_NAME": "app"},
        read_secret=read_secret,
    )
    assert calls == ["rds!db-1"]
    url = settings.database_url
    assert (url.drivername, url.username, url.password) == ("postgresql+psycopg2", "app", "p@ss/word")
    assert (url.host, url.port, url.database) == ("db.internal", 5432, "app")


def test_secret_reader_errors_are_reported() -> None:
    def read_secret(secret_id: str) -> tuple[str, str]:
        raise ConfigError(f"DATABASE_SECRET_ID={secret_id!r} could not be read: AccessDenied.")

    with pytest.raises(ConfigError, match="could not be read: AccessDenied"):
        load_settings(
            {"DATABASE_SECRET_ID": "s", "DATABASE_HOST": "h", "DATABASE_NAME": "n"},
            read_secret=read_secret,
        )
