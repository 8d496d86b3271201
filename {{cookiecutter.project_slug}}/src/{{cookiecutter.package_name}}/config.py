"""Configuration: defaults, then the environment, then an explicit override, validated once.

`load_settings` is the only place that reads settings. It collects every problem it finds and
raises one `ConfigError` listing them, one line per setting, so a broken deployment says exactly
what to fix instead of failing later on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
ENVIRONMENTS = ("development", "test", "staging", "production")
DEPLOYED_ENVIRONMENTS = ("staging", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATABASE_DRIVERS = ("postgresql", "postgresql+psycopg2", "sqlite")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")

DEFAULTS: dict[str, str] = {
    "APP_ENV": "development",
    "LOG_LEVEL": "INFO",
    "MAX_CONTENT_LENGTH": "1048576",
    "DATABASE_PORT": "5432",
    "DATABASE_CONNECT_TIMEOUT": "5",
    "DATABASE_STATEMENT_TIMEOUT_MS": "5000",
    "DATABASE_POOL_SIZE": "5",
    "ENABLE_TEST_ROUTES": "0",
    "FLASK_DEBUG": "0",
}

# Every environment variable the app reads; nothing else in the environment affects it.
ENVIRONMENT_KEYS = (
    *DEFAULTS,
    "DATABASE_URL",
    "DATABASE_SECRET_ID",
    "DATABASE_HOST",
    "DATABASE_NAME",
)

# Reads (username, password) from a Secrets Manager secret; replaced in tests.
SecretReader = Callable[[str], tuple[str, str]]


class ConfigError(Exception):
    """One or more settings are missing or malformed; the message names each and what is allowed."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one app instance."""

    app_env: str
    database_url: URL
    log_level: str
    max_content_length: int
    connect_timeout: int
    statement_timeout_ms: int
    pool_size: int
    enable_test_routes: bool
    debug: bool

    @property
    def deployed(self) -> bool:
        """True in staging and production, where the strict rules apply."""
        return self.app_env in DEPLOYED_ENVIRONMENTS


def default_instance_path() -> Path:
    """Where local state (the development SQLite file) lives: `instance/` in the working directory."""
    return Path.cwd() / "instance"


class _Reader:
    """Parses raw string settings, remembering every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.problems: list[str] = []

    def text(self, name: str) -> str:
        value = self.raw.get(name)
        return "" if value is None else str(value).strip()

    def choice(self, name: str, allowed: tuple[str, ...], *, upper: bool = False) -> str:
        value = self.text(name).upper() if upper else self.text(name)
        if value not in allowed:
            self.problems.append(f"{name}={value!r} is not allowed; use one of {', '.join(allowed)}.")
            return allowed[0]
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        value = self.text(name)
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            self.problems.append(f"{name}={value!r} must be a whole number from {low} to {high}.")
            return low
        return number

    def flag(self, name: str) -> bool:
        value = self.text(name).lower()
        if value not in TRUE_WORDS + FALSE_WORDS:
            self.problems.append(f"{name}={value!r} must be 1 or 0 (also true/false, yes/no, on/off).")
        return value in TRUE_WORDS


def read_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings present in the environment, nothing else."""
    return {key: environ[key] for key in ENVIRONMENT_KEYS if key in environ}


def load_settings(
    environ: Mapping[str, str],
    override: Mapping[str, Any] | None = None,
    *,
    instance_path: Path | None = None,
    read_secret: SecretReader | None = None,
) -> Settings:
    """Merge defaults, environment and override, validate everything, and return the settings."""
    raw: dict[str, Any] = {**DEFAULTS, **read_environment(environ), **(override or {})}
    if "DEBUG" in raw:  # Flask's own key is accepted from an override as an alias of FLASK_DEBUG.
        raw["FLASK_DEBUG"] = raw["DEBUG"]
    reader = _Reader(raw)
    app_env = reader.choice("APP_ENV", ENVIRONMENTS)
    settings = Settings(
        app_env=app_env,
        database_url=URL.create("sqlite"),
        log_level=reader.choice("LOG_LEVEL", LOG_LEVELS, upper=True),
        max_content_length=reader.integer("MAX_CONTENT_LENGTH", 1024, 1024**3),
        connect_timeout=reader.integer("DATABASE_CONNECT_TIMEOUT", 1, 60),
        statement_timeout_ms=reader.integer("DATABASE_STATEMENT_TIMEOUT_MS", 100, 600_000),
        pool_size=reader.integer("DATABASE_POOL_SIZE", 1, 100),
        enable_test_routes=reader.flag("ENABLE_TEST_ROUTES"),
        debug=reader.flag("FLASK_DEBUG"),
    )
    if settings.deployed:
        if settings.debug:
            reader.problems.append(f"FLASK_DEBUG must be off when APP_ENV is {app_env}.")
        if settings.enable_test_routes:
            reader.problems.append(f"ENABLE_TEST_ROUTES must be off when APP_ENV is {app_env}.")
    if not reader.problems:  # Only look for a secret once the rest is known to be sane.
        url = _database_url(reader, app_env, instance_path or default_instance_path(), read_secret)
        settings = replace(settings, database_url=url)
    if reader.problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  {p}" for p in reader.problems))
    return settings


def _database_url(reader: _Reader, app_env: str, instance_path: Path, read_secret: SecretReader | None) -> URL:
    url_text = reader.text("DATABASE_URL")
    secret_id = reader.text("DATABASE_SECRET_ID")
    if url_text and secret_id:
        reader.problems.append("DATABASE_URL and DATABASE_SECRET_ID are both set; set only one.")
        return URL.create("sqlite")
    if secret_id:
        url = _url_from_secret(reader, secret_id, read_secret)
    elif url_text:
        url = _parse_url(reader, url_text)
    elif app_env == "development":
        url = URL.create("sqlite", database=str(instance_path / "dev.sqlite3"))
    else:
        reader.problems.append(f"DATABASE_URL (or DATABASE_SECRET_ID) is required when APP_ENV is {app_env}.")
        return URL.create("sqlite")
    if url.get_backend_name() == "sqlite" and app_env in DEPLOYED_ENVIRONMENTS:
        reader.problems.append(f"SQLite is not allowed when APP_ENV is {app_env}; use PostgreSQL.")
    return url


def _parse_url(reader: _Reader, text: str) -> URL:
    try:
        url = make_url(text)
    except ArgumentError:
        reader.problems.append("DATABASE_URL is not a database URL; use postgresql://user:password@host:5432/name.")
        return URL.create("sqlite")
    url = with_driver(url)
    if url.drivername not in DATABASE_DRIVERS:
        reader.problems.append(f"DATABASE_URL uses {url.drivername!r}; use one of {', '.join(DATABASE_DRIVERS)}.")
    return url


def with_driver(url: URL) -> URL:
    """Pin PostgreSQL URLs to psycopg2, the driver installed (SQLAlchemy 2.1 defaults to psycopg 3).

    `postgres://`, the scheme many hosting tools print, is accepted as PostgreSQL too.
    """
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg2")
    return url


def _url_from_secret(reader: _Reader, secret_id: str, read_secret: SecretReader | None) -> URL:
    host = reader.text("DATABASE_HOST")
    name = reader.text("DATABASE_NAME")
    port = reader.integer("DATABASE_PORT", 1, 65535)
    for key, value in (("DATABASE_HOST", host), ("DATABASE_NAME", name)):
        if not value:
            reader.problems.append(f"{key} is required when DATABASE_SECRET_ID is set.")
    if reader.problems:
        return URL.create("sqlite")
    if read_secret is None:
        from .database_secret import read_database_secret  # boto3 is imported only when it is needed.

        read_secret = read_database_secret
    try:
        username, password = read_secret(secret_id)
    except ConfigError as error:
        reader.problems.append(str(error))
        return URL.create("sqlite")
    return URL.create(
        "postgresql+psycopg2",
        username=username,
        password=password,
        host=host,
        port=port,
        database=name,
    )


def ensure_sqlite_directory(url: URL) -> None:
    """Create the directory of a SQLite file so a fresh checkout runs without setup."""
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        os.makedirs(Path(url.database).parent, exist_ok=True)
