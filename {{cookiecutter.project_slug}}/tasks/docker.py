"""Container image tasks: build (tagged with the git SHA) and push to ECR (login from boto3)."""

from __future__ import annotations

import io
import re
import shlex

from invoke import Context, Exit, task

from . import _aws
from .env import is_dry, require_tool

DOCKER_HOW = "install Docker (https://docs.docker.com/get-docker/)"


def ecr_repository_url(account_id: str, region: str, slug: str) -> str:
    """The bootstrap's ECR repository (shared by every environment, so one digest is promoted)."""
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com/{slug}"


def platform_for(instance_type: str) -> str:
    """The image platform EC2 nodes of this type run: Graviton families (t4g, m7g, c8gd…) are arm64."""
    family = instance_type.split(".", 1)[0]
    return "linux/arm64" if re.fullmatch(r"[a-z]+\d+g[a-z-]*", family) else "linux/amd64"


def build_argv(tag: str, build_args: dict[str, str], revision: str, platform: str, context: str = ".") -> list[str]:
    argv = ["docker", "build", "--platform", platform, "--tag", tag]
    argv += ["--label", f"org.opencontainers.image.revision={revision}"]
    for name, value in build_args.items():
        argv += ["--build-arg", f"{name}={value}"]
    return [*argv, context]


def git_sha(c: Context) -> str:
    """The checked-out commit (read even under --dry: it changes nothing)."""
    result = c.run("git rev-parse HEAD", hide=True, warn=True, dry=False)
    if result.exited != 0 or not result.stdout.strip():
        raise Exit("Cannot read the git commit: run this inside the project's git checkout with a first commit.")
    return result.stdout.strip()


def repository(c: Context) -> str:
    p = c.config.project
    return ecr_repository_url(p.account_id, p.region, p.slug)


def pushed_digest(c: Context, repository_url: str, tag: str) -> str:
    """The digest ECR holds for ``tag`` (a placeholder under --dry)."""
    if is_dry(c):
        return f"<digest of {tag}>"
    name = repository_url.split("/", 1)[1]
    with _aws.aws_errors(f"looking up image {name}:{tag} in ECR"):
        ecr = _aws.session(c.config.project.region).client("ecr")
        try:
            details = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])["imageDetails"]
        except ecr.exceptions.ImageNotFoundException:
            details = []
    if not details:
        raise Exit(f"ECR has no image {name}:{tag}: run `invoke build push` first, or pass --image sha256:….")
    return details[0]["imageDigest"]


@task(help={"tag": "Image tag (default: the current git commit SHA)."})
def build(c, tag=None):
    """Build the app image, tagged with the git SHA and the ECR repository name."""
    require_tool(c, "docker", DOCKER_HOW)
    tag = tag or git_sha(c)
    build_args = dict(c.config.docker.build_args)
    platform = platform_for(c.config.project.node_instance_type)  # the nodes', not this machine's
    c.run(shlex.join(build_argv(f"{repository(c)}:{tag}", build_args, revision=git_sha(c), platform=platform)))


@task(help={"tag": "Image tag to push (default: the current git commit SHA)."})
def push(c, tag=None):
    """Log in to ECR with a boto3 token, push the image, print its digest."""
    require_tool(c, "docker", DOCKER_HOW)
    tag, url = tag or git_sha(c), repository(c)
    password = ""
    if not is_dry(c):
        with _aws.aws_errors("getting an ECR login token"):
            data = _aws.session(c.config.project.region).client("ecr").get_authorization_token()
        _, password, _ = _aws.ecr_login(data["authorizationData"][0])
    registry = url.split("/", 1)[0]
    c.run(f"docker login --username AWS --password-stdin {registry}", in_stream=io.StringIO(password))
    c.run(shlex.join(["docker", "push", f"{url}:{tag}"]))
    print(f"Pushed {url}@{pushed_digest(c, url, tag)}")
