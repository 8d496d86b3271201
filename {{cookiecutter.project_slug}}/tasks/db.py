"""Database tasks: run the migration Job in an environment; print its connection URL."""

from __future__ import annotations

import json
from urllib.parse import quote

from invoke import Context, Exit, task

from . import _aws, k8s
from ._kube import Kube
from .env import is_dry, resolve_env
from .terraform import load_outputs, output_value


def database_url(host: str, port: str, name: str, secret: dict, reveal: bool = False) -> str:
    """A PostgreSQL URL from the RDS-managed secret (``username``, ``password``); password masked unless asked."""
    password = quote(secret["password"], safe="") if reveal else "****"
    return f"postgresql://{quote(secret['username'], safe='')}:{password}@{host}:{port}/{name}"


@task(
    help={
        "env": "Environment whose database to migrate.",
        "image": "Image digest to migrate with (default: the image the deployment runs now).",
    }
)
def migrate(c, env=None, image=None):
    """Run `alembic upgrade head` in the cluster as the migration Job and wait for it."""
    env = resolve_env(c, env)
    outputs = load_outputs(c, env)
    if is_dry(c):
        print(f"Would replace and run Job {k8s.names(c)[2]} in {env} with {image or 'the running image'}, and wait.")
        return
    kube = k8s.connect(c, env, outputs)
    repository = output_value(outputs, "ecr_repository_url", env, dry=False)
    image = k8s.parse_image(repository, image or running_image(c, kube, env))
    k8s.run_migration(c, kube, k8s.render(c, env, image, outputs))
    print(f"Migrations of {env} are at head.")


def running_image(c: Context, kube: Kube, env: str) -> str:
    """The image of the deployment's `app` container."""
    namespace, name, _ = k8s.names(c)
    deployment = kube.get(k8s.deployment_path(namespace, name))
    if deployment is None:
        raise Exit(f"Nothing is deployed in {env} yet: pass --image sha256:… or run `invoke deploy`.")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(container["image"] for container in containers if container["name"] == "app")


@task(help={"env": "Environment whose database URL to print.", "reveal": "Print the password too."})
def url(c, env=None, reveal=False):
    """Print the database URL from the RDS-managed secret (reachable only from inside the VPC)."""
    env = resolve_env(c, env)
    outputs = load_outputs(c, env)
    secret_id = output_value(outputs, "database_secret_arn", env, dry=False)
    secret = json.loads(_aws.read_secret(_aws.session(c.config.project.region), secret_id))
    print(
        database_url(
            output_value(outputs, "database_host", env, dry=False),
            "5432",
            output_value(outputs, "database_name", env, dry=False),
            secret,
            reveal,
        )
    )
