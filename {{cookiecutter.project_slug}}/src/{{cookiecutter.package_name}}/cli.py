"""`flask --app {{ cookiecutter.package_name }}.wsgi db-upgrade`: migrate the schema, then make the app's own role.

The migration step (the Kubernetes Job before each rollout) runs this as the master user
(DATABASE_SECRET_ID): Alembic upgrades the schema, then, when DATABASE_USER is set, the app's role
is created if missing and granted what the app needs on the tables, so the web pods never log in
as the master.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from sqlalchemy import Connection, Engine, text

from .database_secret import credentials_for
from .db import build_engine

if TYPE_CHECKING:
    from alembic.config import Config

    from .settings import Settings


def alembic_config(ini_path: Path, engine: Engine) -> Config:
    """An Alembic configuration that migrates with `engine` and leaves logging alone."""
    from alembic.config import Config  # Imported on use: the web server never needs Alembic.

    if not ini_path.is_file():
        raise click.ClickException(f"{ini_path} does not exist; run from the project root or pass --config.")
    config = Config(str(ini_path))
    config.attributes["engine"] = engine
    config.attributes["configure_logging"] = False
    return config


def grant_app_role(connection: Connection, role: str, database: str) -> None:
    """Create `role` (LOGIN, no password) if missing and grant it the app's rights; idempotent.

    On RDS the role also gets `rds_iam`, so it logs in with IAM tokens only.
    """
    quote = connection.dialect.identifier_preparer.quote
    name = quote(role)
    exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    if not exists:
        connection.execute(text(f"CREATE ROLE {name} LOGIN"))
    if connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")):
        connection.execute(text(f"GRANT rds_iam TO {name}"))
    for statement in (
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {name}",
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {name}",
    ):
        connection.execute(text(statement))


def init_app(app: Flask) -> None:
    """Register the app's CLI commands."""

    @app.cli.command("db-upgrade")
    @click.option("--revision", default="head", show_default=True, help="Target revision.")
    @click.option(
        "--config",
        "ini_path",
        type=click.Path(path_type=Path),
        default=lambda: os.environ.get("ALEMBIC_CONFIG", "alembic.ini"),
        show_default="alembic.ini, or $ALEMBIC_CONFIG",
        help="Alembic configuration file.",
    )
    def db_upgrade(revision: str, ini_path: Path) -> None:
        """Upgrade the database schema to REVISION (default: the newest), then grant the app's role."""
        from alembic import command

        settings: Settings = current_app.config["SETTINGS"]
        engine = build_engine(
            settings, current_app.instance_path, credentials_for(settings, master=True), migration=True
        )
        try:
            command.upgrade(alembic_config(ini_path, engine), revision)
            click.echo(f"database upgraded to {revision}")
            if settings.database_user and engine.dialect.name == "postgresql":
                with engine.begin() as connection:
                    grant_app_role(connection, settings.database_user, engine.url.database or "")
                click.echo(f"role {settings.database_user} granted")
        finally:
            engine.dispose()
