"""A bearer token for local development: `export TOKEN=$(invoke token)`."""

from __future__ import annotations

import os
import sys

from invoke import Exit, task

from ._text import whole_number
from .effects import Effects

# The app's settings.DEPLOYED_ENVIRONMENTS: where it trusts its OIDC issuer only.
DEPLOYED = ("staging", "production")


@task(help={"subject": "The token's `sub` (who is writing).", "minutes": "How long the token is valid (1 to 1440)."})
def token(c, subject="developer", minutes="60"):
    """Print only a token signed by the development key (made in src/instance/ on first use); the local app accepts it.

    Only without OIDC_ISSUER_URL and outside staging/production: deployed apps trust their issuer only.
    Everything else (the command it runs, why it failed) goes to stderr, so `$(invoke token)` is the token or empty.
    """
    lifetime = whole_number(minutes, "--minutes", "a number of minutes", minimum=1)
    app_env = os.environ.get("APP_ENV", "").strip()
    if app_env.lower() in DEPLOYED:
        raise Exit(f"invoke token works only outside staging and production, and APP_ENV is {app_env}: unset it.")
    app = f"{c.config.project.package}.wsgi"
    command = ["flask", "--app", app, "dev-token", "--subject", subject, "--minutes", str(lifetime)]
    # APP_ENV=development, as `invoke local.dev` runs the app: a leftover APP_ENV=test would otherwise
    # make the app demand a DATABASE_URL it does not need to sign a token.
    exited = Effects(c, lines=sys.stderr).run(command, env={"APP_ENV": "development"})
    if exited:
        raise Exit(code=exited)  # flask has said why, on stderr.
