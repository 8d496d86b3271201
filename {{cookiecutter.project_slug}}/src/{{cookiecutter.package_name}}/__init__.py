"""{{ cookiecutter.project_name }}: {{ cookiecutter.description }}"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from flask import Flask

from . import auth, cli, errors, health, items, observability, openapi, request_layer, testing_routes
from .db import db
from .settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "__version__", "create_app"]

__version__ = version("{{ cookiecutter.project_slug }}")  # Read once: the installed package's metadata.


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `config`, validated once.

    `config` takes the environment variables' names (e.g. `DATABASE_URL`); other keys, such as
    `TESTING`, go to Flask's config unchanged. Raises ConfigError naming every bad setting.
    """
    settings = load_settings(config)
    app = openapi.new_app(
        __name__,
        title="{{ cookiecutter.project_name }}",
        version=__version__,
        description={{ cookiecutter.description | tojson }},
    )
    app.config.update(
        {key: value for key, value in (config or {}).items() if key.isupper()},
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        DEBUG=settings.debug,
    )
    observability.init_app(app, settings)
    errors.init_app(app)
    db.init_app(app, settings)
    request_layer.init_app(app, settings)
    cli.init_app(app)
    health.init_app(app)
    auth.init_app(app)
    app.register_api(items.blueprint)
    if settings.enable_test_routes:
        app.register_api(testing_routes.blueprint)
    openapi.init_app(app)  # Last: the document is complete once every resource is registered.
    return app
