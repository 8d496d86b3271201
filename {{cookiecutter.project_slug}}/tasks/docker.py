"""Container image tasks for a workstation: build (a clean tree only, tagged with its commit) and push.

CI builds, attests and signs the image itself (the deploy workflow); these tasks are for trying a
build locally or pushing by hand. Neither signs, so `invoke deploy` refuses what they push.
"""

from __future__ import annotations

import io

from invoke import Context, task

from . import _aws
from ._images import git_sha, platform_for, pushed_digest, require_clean_tree
from .effects import Effects
from .environment import project

DOCKER_HOW = "install Docker (https://docs.docker.com/get-docker/)"


def build_argv(tag: str, build_args: dict[str, str], revision: str, platform: str, context: str = ".") -> list[str]:
    argv = ["docker", "build", "--platform", platform, "--tag", tag]
    argv += ["--label", f"org.opencontainers.image.revision={revision}"]
    for name, value in build_args.items():
        argv += ["--build-arg", f"{name}={value}"]
    return [*argv, context]


@task(help={"tag": "Image tag (default: the current git commit SHA)."})
def build(c: Context, tag=None):
    """Build the app image for the nodes' platform from a clean working tree, tagged with the commit."""
    fx, p = Effects(c), project(c)
    fx.need("docker", DOCKER_HOW)
    require_clean_tree(fx)
    revision = git_sha(fx)
    platform = platform_for(p.node_instance_type)  # the nodes', not this machine's
    build_args = dict(c.config.docker.build_args)
    fx.run(build_argv(f"{p.repository_url}:{tag or revision}", build_args, revision, platform, str(p.root)))


@task(help={"tag": "Image tag to push (default: the current git commit SHA)."})
def push(c: Context, tag=None):
    """Log in to ECR with a boto3 token, push the image, print its digest."""
    fx, p = Effects(c), project(c)
    fx.need("docker", DOCKER_HOW)
    tag = tag or git_sha(fx)
    session = _aws.session(p.region)
    with _aws.aws_errors("getting an ECR login token"):
        data = session.client("ecr").get_authorization_token(registryIds=[p.registry_account_id])
    _, password, registry = _aws.ecr_login(data["authorizationData"][0])
    fx.run(["docker", "login", "--username", "AWS", "--password-stdin", registry], in_stream=io.StringIO(password))
    fx.run(["docker", "push", f"{p.repository_url}:{tag}"])
    if not fx.dry:
        print(f"Pushed {p.repository_url}@{pushed_digest(session, p.repository_url, tag)}")
