"""`flask --app {{ cookiecutter.package_name }}.wsgi db-upgrade`: run the Alembic migrations with the app's database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from .db import Database

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(database_url: str, ini_path: Path) -> Config:
    """An Alembic configuration that migrates `database_url` and leaves logging alone."""
    from alembic.config import Config  # Imported on use: the web server never needs Alembic.

    if not ini_path.is_file():
        raise click.ClickException(f"{ini_path} does not exist; run from the project root or pass --config.")
    config = Config(str(ini_path))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


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
        """Upgrade the database schema to REVISION (default: the newest)."""
        from alembic import command

        url = Database.state(app).engine.url.render_as_string(hide_password=False)
        command.upgrade(alembic_config(url, ini_path), revision)
        click.echo(f"database upgraded to {revision}")
