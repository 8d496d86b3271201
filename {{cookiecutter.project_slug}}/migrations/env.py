"""Alembic environment: migrates the database the app is configured for."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine, create_engine, pool
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }} import create_app, models  # noqa: F401  (models: registers the tables)
from {{ cookiecutter.package_name }}.database_secret import credentials_for
from {{ cookiecutter.package_name }}.db import Base, build_engine
from {{ cookiecutter.package_name }}.settings import ConfigError, with_driver

config = context.config
target_metadata = Base.metadata

if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def migration_engine() -> Engine:
    """The engine the caller gave (db-upgrade: the master's, with lock and connect timeouts), one for
    the URL it gave (tests), or one built from the app's settings (`alembic upgrade head`)."""
    if "engine" in config.attributes:
        engine: Engine = config.attributes["engine"]
        return engine
    given = config.attributes.get("database_url")
    if given:
        return create_engine(with_driver(make_url(given)), poolclass=pool.NullPool)
    try:
        app = create_app()  # For its settings and its instance folder (the development SQLite file).
    except ConfigError as error:
        raise SystemExit(str(error)) from None
    settings = app.config["SETTINGS"]
    return build_engine(settings, app.instance_path, credentials_for(settings, master=True), migration=True)


def run_offline() -> None:
    """Print the SQL instead of running it (`alembic upgrade head --sql`)."""
    url = migration_engine().url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = migration_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=engine.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
