"""A bearer token for local development: `export TOKEN=$(invoke token | tail -n 1)`."""

from __future__ import annotations

from invoke import Exit, task

from ._text import whole_number
from .effects import Effects


@task(help={"subject": "The token's `sub` (who is writing).", "minutes": "How long the token is valid (1 to 1440)."})
def token(c, subject="developer", minutes="60"):
    """Print a token signed by the development key (made in instance/ on first use); the local app accepts it.

    Only without OIDC_ISSUER_URL and outside staging/production: deployed apps trust their issuer only.
    """
    lifetime = whole_number(minutes, "--minutes", "a number of minutes", minimum=1)
    app = f"{c.config.project.package}.wsgi"
    command = ["flask", "--app", app, "dev-token", "--subject", subject, "--minutes", str(lifetime)]
    exited = Effects(c).run(command, env={"APP_ENV": "development"})
    if exited:
        raise Exit(code=exited)  # flask has said why.
