"""Database tasks: run the migration Job in an environment; print its connection URL."""

from __future__ import annotations

import json
from urllib.parse import quote

from invoke import Exit, task

from . import _aws, k8s
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
    repository = output_value(outputs, "ecr_repository_url", env, is_dry(c))
    kube = None if is_dry(c) else k8s.connect(c, env, outputs)
    if image is None:
        namespace, name, _ = k8s.names(c)
        deployment = kube.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}") if kube else None
        if deployment is None and not is_dry(c):
            raise Exit(f"Nothing is deployed in {env} yet: pass --image sha256:… or run `invoke deploy`.")
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"] if deployment else None
    docs = k8s.render(
        c, env, k8s.parse_image(repository, image) if image else (repository, "<current digest>"), outputs
    )
    if kube is None:
        print(f"Would replace and run Job {k8s.names(c)[2]} in {env} and wait for it.")
        return
    k8s.run_migration(c, kube, docs)
    print(f"Migrations of {env} are at head.")


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
