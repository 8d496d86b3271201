"""Configuration: pydantic-settings classes read from the environment, validated once at start-up.

`Settings` is the app's, `ServerSettings` gunicorn's (gunicorn.conf.py). Each field is the
environment variable of the same name in upper case. A bad value anywhere raises one `ConfigError`
listing every problem, one line per setting, so a broken deployment says exactly what to fix.
Defaults are literals in the class bodies: the template's cross-layer tests read them.
"""

from __future__ import annotations

import multiprocessing
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
# The database role the web pods log in as; the migration step creates and grants it.
APP_DATABASE_ROLE = "{{ cookiecutter.package_name }}_app"
DEPLOYED_ENVIRONMENTS = ("staging", "production")
DATABASE_DRIVERS = ("postgresql+psycopg2", "sqlite")


# `info` is as good as `INFO`.
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR"],
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
]


def _http_url(value: str) -> str:
    if value.strip() and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
        raise ValueError("must be empty or an http(s) URL, such as https://login.example.com/")
    return value.strip()


class ConfigError(Exception):
    """One or more settings are missing or malformed; the message names each and what is allowed."""


class _Base(BaseSettings):
    # Frozen: settings are read once; unknown variables in the environment are none of ours.
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)


class Settings(_Base):
    """The validated configuration of one app instance."""

    app_env: Literal["development", "test", "staging", "production"] = "development"
    log_level: LogLevel = "INFO"
    max_content_length: int = Field(1048576, ge=1024, le=1024**3)
    flask_debug: bool = False
    enable_test_routes: bool = False
    # Where the database is: a URL (local and tests), or a host with either the app's own role
    # (DATABASE_USER, IAM tokens) or a Secrets Manager secret (DATABASE_SECRET_ID, the master).
    # Unset in development: a SQLite file in the app's instance folder.
    database_url: str = ""
    database_host: str = ""
    database_port: int = Field(5432, ge=1, le=65535)
    database_name: str = ""
    database_user: str = ""
    database_secret_id: str = ""
    # RDS's CA bundle, baked into the image by the Dockerfile; with it, TLS is verify-full.
    database_ca_bundle: str = ""
    database_connect_timeout: int = Field(5, ge=1, le=60)
    database_statement_timeout_ms: int = Field(5000, ge=100, le=600_000)
    database_lock_timeout_ms: int = Field(3000, ge=100, le=600_000)
    database_pool_size: int = Field(5, ge=1, le=100)
    aws_region: str = ""
    # Traces go to the CloudWatch agent's OTLP/HTTP receiver when set; unset (locally) they are off.
    otel_exporter_otlp_endpoint: str = ""
    # Metrics (EMF) go to the agent's endpoint, e.g. tcp://cloudwatch-agent.amazon-cloudwatch:25888;
    # unset (locally) they are off.
    aws_emf_agent_endpoint: str = ""
    # Bearer tokens (auth.py): the issuer writes need tokens from, and the audience they are for.
    # Without an issuer, staging and production refuse writes; elsewhere a development key is trusted.
    oidc_issuer_url: Annotated[str, AfterValidator(_http_url)] = "{{ cookiecutter.oidc_issuer_url }}"
    oidc_audience: str = Field("{{ cookiecutter.oidc_audience }}", min_length=1)
    # Empty: <oidc_issuer_url>/.well-known/jwks.json.
    oidc_jwks_url: Annotated[str, AfterValidator(_http_url)] = ""
    auth_required_for_reads: bool = False

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.strip():
            return ""
        try:
            url = with_driver(make_url(value.strip()))
        except ArgumentError:
            raise ValueError("is not a database URL; use postgresql://user:password@host:5432/name") from None
        if url.drivername not in DATABASE_DRIVERS:
            raise ValueError(f"uses {url.drivername!r}; use postgresql:// or sqlite://")
        return url.render_as_string(hide_password=False)

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        problems = []
        if self.database_url and (self.database_host or self.database_secret_id):
            problems.append("set DATABASE_URL, or DATABASE_HOST with DATABASE_USER or DATABASE_SECRET_ID, not both")
        if self.database_host and not (self.database_name and (self.database_user or self.database_secret_id)):
            problems.append("DATABASE_HOST needs DATABASE_NAME and DATABASE_USER or DATABASE_SECRET_ID")
        if self.app_env != "development" and not (self.database_url or self.database_host):
            problems.append(f"DATABASE_URL (or DATABASE_HOST) is required when APP_ENV is {self.app_env}")
        if self.deployed:
            if self.flask_debug:
                problems.append(f"FLASK_DEBUG must be off when APP_ENV is {self.app_env}")
            if self.enable_test_routes:
                problems.append(f"ENABLE_TEST_ROUTES must be off when APP_ENV is {self.app_env}")
            if self.database_url.startswith("sqlite"):
                problems.append(f"SQLite is not allowed when APP_ENV is {self.app_env}; use PostgreSQL")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def deployed(self) -> bool:
        """True in staging and production, where the strict rules apply."""
        return self.app_env in DEPLOYED_ENVIRONMENTS

    @property
    def debug(self) -> bool:
        return self.flask_debug


def _default_workers() -> int:
    return min(2 * multiprocessing.cpu_count() + 1, 8)


class ServerSettings(_Base):
    """gunicorn's settings (gunicorn.conf.py)."""

    port: int = Field(8000, ge=1, le=65535)
    web_concurrency: int = Field(default_factory=_default_workers, ge=1, le=64)
    # Threads let probes through while a slow request holds a worker; each has its own DB session.
    gunicorn_threads: int = Field(4, ge=1, le=64)
    # Longer than the load balancer's idle timeout (60 s), so the balancer, not gunicorn, closes an
    # idle connection; otherwise it may reuse one gunicorn is closing and answer 502.
    gunicorn_keepalive: int = Field(75, ge=1, le=3600)
    gunicorn_timeout: int = Field(30, ge=1, le=600)
    # After SIGTERM, in-flight requests get this long to finish; Kubernetes waits longer than this.
    gunicorn_graceful_timeout: int = Field(25, ge=1, le=600)
    log_level: LogLevel = "INFO"


def with_driver(url: URL) -> URL:
    """Pin PostgreSQL URLs to psycopg2, the driver installed (SQLAlchemy 2.1 defaults to psycopg 3).

    `postgres://`, the scheme many hosting tools print, is accepted as PostgreSQL too.
    """
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg2")
    return url


def load_settings(override: Mapping[str, Any] | None = None) -> Settings:
    """The environment's settings, with `override` (environment variable names) on top.

    `DEBUG`, Flask's own key, is accepted in an override as FLASK_DEBUG. Other keys are ignored.
    """
    values = {key.lower(): value for key, value in (override or {}).items()}
    if "debug" in values:
        values.setdefault("flask_debug", values["debug"])
    try:
        return Settings(**{key: value for key, value in values.items() if key in Settings.model_fields})
    except ValidationError as error:
        raise ConfigError(describe(error)) from None


def load_server_settings() -> ServerSettings:
    """gunicorn's settings from the environment."""
    try:
        return ServerSettings()
    except ValidationError as error:
        raise ConfigError(describe(error)) from None


# Pydantic's wording, where it does not say what is allowed.
MESSAGES = {
    "bool_parsing": "must be 1 or 0 (also true/false, yes/no, on/off)",
    "int_parsing": "must be a whole number",
}


def describe(error: ValidationError) -> str:
    """Every problem of a failed validation, one line each, naming the variable and what is allowed."""
    lines = []
    for problem in error.errors(include_url=False):
        message = MESSAGES.get(problem["type"], problem["msg"].removeprefix("Value error, "))
        if problem["loc"]:
            name = str(problem["loc"][0]).upper()
            lines.append(f"  {name}={problem['input']!r}: {message}.")
        else:  # The rules that relate settings: one line each.
            lines += [f"  {line}." for line in message.splitlines()]
    return "invalid configuration:\n" + "\n".join(lines)


# Every environment variable the app and its server read.
ENVIRONMENT_KEYS = tuple(sorted({name.upper() for cls in (Settings, ServerSettings) for name in cls.model_fields}))
