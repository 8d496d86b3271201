"""The WSGI entry point: `gunicorn {{ cookiecutter.package_name }}.wsgi:app`, `flask --app {{ cookiecutter.package_name }}.wsgi`."""

from __future__ import annotations

import sys

from . import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    # One clear message and a non-zero exit instead of a traceback from every worker.
    sys.exit(str(error))
