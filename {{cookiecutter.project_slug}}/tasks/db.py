"""Database tasks: run the migration Job alone; print the connection URL of the master user."""

from __future__ import annotations

import json
from urllib.parse import quote

from invoke import Exit, task

from . import _aws
from ._manifests import parse_image
from ._rollout import deployment_path
from .deploy import images, render_overlay
from .deploy import migrate as run_migration
from .environment import KUBECONFIG_HELP, Environment, resolve


def database_url(host: str, port: str, name: str, secret: dict, reveal: bool = False) -> str:
    """A PostgreSQL URL from the RDS-managed secret (``username``, ``password``); password masked unless asked."""
    password = quote(secret["password"], safe="") if reveal else "****"
    return f"postgresql://{quote(secret['username'], safe='')}:{password}@{host}:{port}/{name}"


def running_image(env: Environment) -> str:
    """The image of the deployment's `app` container."""
    deployment = env.kube.get(deployment_path(env.project.slug, env.project.slug))
    if deployment is None:
        raise Exit(f"Nothing is deployed in {env.name} yet: pass --image sha256:… or run `invoke deploy`.")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(container["image"] for container in containers if container["name"] == "app")


@task(
    help={
        "env": "Environment whose database to migrate.",
        "image": "Image digest to migrate with (default: the image the deployment runs now).",
        "kubeconfig": KUBECONFIG_HELP,
    }
)
def migrate(c, env=None, image=None, kubeconfig=None):
    """Run the migration Job (it also creates and grants the app's database role) and wait for it.

    Only what the Job needs is applied (its service account and configuration); the web tier is untouched.
    """
    env = resolve(c, env, kubeconfig)
    if image or not env.provisioned:
        pinned = images(env, image)  # a new image is verified as deploy verifies it
    else:
        name, digest = parse_image(env.project.repository_url, running_image(env))
        pinned = [{"name": "app", "newName": name, "digest": digest}]
    run_migration(env, render_overlay(env, pinned))
    print(f"Migrations of {env.name} are at head; the web tier was not touched.")


@task(help={"env": "Environment whose database URL to print.", "reveal": "Print the password too."})
def url(c, env=None, reveal=False):
    """Print the master user's database URL from the RDS-managed secret (reachable only from inside the VPC)."""
    env = resolve(c, env)
    secret = json.loads(_aws.read_secret(env.session, env.output("database_secret_arn")))
    port = env.outputs.get("database_port") or 5432
    print(database_url(env.output("database_host"), str(port), env.output("database_name"), secret, reveal))
