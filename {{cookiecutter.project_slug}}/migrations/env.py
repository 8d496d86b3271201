"""Alembic environment: migrates the database the app is configured for."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL, make_url

from {{ cookiecutter.package_name }} import models  # noqa: F401  (registers the tables on the metadata)
from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    ensure_sqlite_directory,
    load_settings,
    with_driver,
)
from {{ cookiecutter.package_name }}.db import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> URL:
    """The URL given by the caller (the db-upgrade command, tests) or the app's configuration."""
    given = config.attributes.get("database_url")
    if given:
        return with_driver(make_url(given))
    try:
        return load_settings(os.environ).database_url
    except ConfigError as error:
        raise SystemExit(str(error)) from None


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    url = database_url()
    ensure_sqlite_directory(url)
    # No statement timeout here: a migration may legitimately run longer than a request.
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.get_backend_name() == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
