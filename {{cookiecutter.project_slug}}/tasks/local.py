"""Local development: run the app on SQLite, run the test sessions."""

from __future__ import annotations

from invoke import task


@task(help={"port": "Port to listen on."})
def dev(c, port=8000):
    """Upgrade the local SQLite database to head, then run the app with the reloader."""
    env = {"APP_ENV": "development"}
    c.run("alembic upgrade head", env=env)
    c.run(f"flask --app {c.config.project.package}.wsgi run --debug --port {int(port)}", env=env, pty=True)


@task(help={"session": "nox session(s) to run, comma-separated (default: tests, lint and typing)."})
def test(c, session="tests,lint,typing"):  # noqa: PT028  (an invoke task, not a pytest test)
    """Run the nox sessions CI runs."""
    sessions = [name.strip() for name in session.split(",") if name.strip()]
    c.run("nox --session " + " ".join(sessions), pty=True)
