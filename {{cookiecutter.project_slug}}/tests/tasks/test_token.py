"""invoke token: the command line that prints a development token, and nothing else on stdout."""

import os
import sys
from pathlib import Path

import pytest
from conftest import commands
from invoke import Exit, Result
from test_cli import invoke

from tasks import token


@pytest.fixture(autouse=True)
def no_app_env(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)


@pytest.mark.parametrize(
    ("kwargs", "tail"),
    [({}, "--subject developer --minutes 60"), ({"subject": "ana", "minutes": "5"}, "--subject ana --minutes 5")],
)
def test_token_asks_the_app_for_a_development_token(mock_context, capsys, kwargs, tail):
    context = mock_context()
    token.token(context, **kwargs)
    command = f"flask --app {context.config.project.package}.wsgi dev-token {tail}"
    assert commands(context) == [command]
    assert context.run.call_args.kwargs["env"] == {"APP_ENV": "development"}
    # stdout is the token alone (flask prints it), so `export TOKEN=$(invoke token)` needs no filter.
    assert capsys.readouterr() == ("", f"» run: {command}\n")


def test_a_leftover_test_app_env_still_gets_a_token_without_a_database(mock_context, monkeypatch):
    # Under APP_ENV=test the app would demand a DATABASE_URL, which signing a token does not need.
    monkeypatch.setenv("APP_ENV", "test")
    context = mock_context()
    token.token(context)
    assert context.run.call_args.kwargs["env"] == {"APP_ENV": "development"}


@pytest.mark.parametrize("app_env", ["staging", "production", "Production "])
def test_token_refuses_a_deployed_app_env(mock_context, monkeypatch, app_env):
    monkeypatch.setenv("APP_ENV", app_env)
    context = mock_context()
    with pytest.raises(Exit) as refused:
        token.token(context)
    assert refused.value.message == (
        f"invoke token works only outside staging and production, and APP_ENV is {app_env.strip()}: unset it."
    )
    assert commands(context) == []


def test_the_deployed_environments_are_the_apps(project):
    from {{ cookiecutter.package_name }}.settings import DEPLOYED_ENVIRONMENTS

    assert token.DEPLOYED == DEPLOYED_ENVIRONMENTS


def test_token_refuses_a_lifetime_that_is_not_a_number(mock_context):
    with pytest.raises(Exit, match="--minutes 'soon' is not a number of minutes"):
        token.token(mock_context(), minutes="soon")


def test_token_fails_when_the_app_refuses(mock_context):
    with pytest.raises(Exit) as refused:
        token.token(mock_context(run=Result("", exited=1)))
    assert refused.value.code == 1


def test_a_refused_token_leaves_stdout_empty_and_says_why_on_stderr():
    # The app refuses before it makes a key: nothing is written in instance/. flask is the venv's.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    result = invoke("token", env={"OIDC_ISSUER_URL": "https://login.example.com/", "PATH": path})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "dev-token works only without OIDC_ISSUER_URL" in result.stderr
