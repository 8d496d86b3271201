"""invoke token: the command line that prints a development token."""

import pytest
from conftest import commands
from invoke import Exit, Result

from tasks import token


@pytest.mark.parametrize(
    ("kwargs", "tail"),
    [({}, "--subject developer --minutes 60"), ({"subject": "ana", "minutes": "5"}, "--subject ana --minutes 5")],
)
def test_token_asks_the_app_for_a_development_token(mock_context, kwargs, tail):
    context = mock_context()
    token.token(context, **kwargs)
    assert commands(context) == [f"flask --app {context.config.project.package}.wsgi dev-token {tail}"]
    assert context.run.call_args.kwargs["env"] == {"APP_ENV": "development"}


def test_token_refuses_a_lifetime_that_is_not_a_number(mock_context):
    with pytest.raises(Exit, match="--minutes 'soon' is not a number of minutes"):
        token.token(mock_context(), minutes="soon")


def test_token_fails_when_the_app_refuses(mock_context):
    with pytest.raises(Exit) as refused:
        token.token(mock_context(run=Result("", exited=1)))
    assert refused.value.code == 1
