"""Local development: run the app on SQLite, run the test sessions."""

from __future__ import annotations

from invoke import task

from ._text import whole_number
from .effects import Effects


@task(help={"port": "Port to listen on."})
def dev(c, port="8000"):
    """Upgrade the local database to head (the app's db-upgrade), then run the app with the reloader."""
    number = whole_number(port, "--port", "a port number", minimum=1)
    fx, env, app = Effects(c), {"APP_ENV": "development"}, f"{c.config.project.package}.wsgi"
    fx.run(["flask", "--app", app, "db-upgrade"], env=env)
    fx.run(["flask", "--app", app, "run", "--debug", "--port", str(number)], env=env, pty=True)


@task(help={"session": "nox session(s) to run, comma-separated (default: tests, lint and typing)."})
def test(c, session="tests,lint,typing"):  # noqa: PT028  (an invoke task, not a pytest test)
    """Run the nox sessions CI runs."""
    sessions = [name.strip() for name in session.split(",") if name.strip()]
    Effects(c).run(["nox", "--session", *sessions], pty=True)
