"""`python -m {{ cookiecutter.package_name }}.serve`: gunicorn with gunicorn.conf.py, once the server's settings are sane.

gunicorn reads WEB_CONCURRENCY itself as it is imported, before any config file, and a bad value
ends in its traceback; checked here first, it gets the one-message error every setting gets.
Arguments are passed on to gunicorn (default: the app, `{{ cookiecutter.package_name }}.wsgi:app`).
"""

from __future__ import annotations

import sys

from .settings import ConfigError, load_server_settings


def main() -> None:
    try:
        load_server_settings()
    except ConfigError as error:
        sys.exit(str(error))
    from gunicorn.app.wsgiapp import run  # type: ignore[import-untyped]

    sys.argv = ["gunicorn", "--config", "gunicorn.conf.py", *(sys.argv[1:] or ["{{ cookiecutter.package_name }}.wsgi:app"])]
    run()


if __name__ == "__main__":
    main()
