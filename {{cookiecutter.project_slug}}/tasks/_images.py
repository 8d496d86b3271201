"""The image: which commit it is built from, its digest in ECR, and its signature (cosign, keyless).

Images are built and signed by the deploy workflow on main; `invoke deploy` verifies the digest's
signature against that workflow's identity before it touches the cluster.
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
from pathlib import Path

from invoke import Exit

from . import _aws
from .effects import Effects
from .environment import Project

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def git_sha(fx: Effects) -> str:
    """The checked-out commit."""
    result = fx.read(["git", "rev-parse", "HEAD"])
    if result.exited != 0 or not result.stdout.strip():
        raise Exit("Cannot read the git commit: run this inside the project's git checkout with a first commit.")
    return result.stdout.strip()


def dirty_files(porcelain: str) -> list[str]:
    """Paths ``git status --porcelain`` reports as changed or untracked (ignored files are not listed)."""
    return [line[3:] for line in porcelain.splitlines() if line.strip()]


def require_clean_tree(fx: Effects) -> None:
    """Stop when the working tree differs from HEAD: an image is tagged with the commit it is built from."""
    changed = dirty_files(fx.read(["git", "status", "--porcelain"]).stdout)
    if changed:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        raise Exit(
            f"The working tree has uncommitted changes ({shown}): commit or stash them first, "
            "because the image is tagged with the commit it was built from."
        )


def platform_for(instance_type: str) -> str:
    """The image platform EC2 nodes of this type run: Graviton families (t4g, m7g, c8gd…) are arm64."""
    family = instance_type.split(".", 1)[0]
    return "linux/arm64" if re.fullmatch(r"[a-z]+\d+g[a-z-]*", family) else "linux/amd64"


def pushed_digest(session, repository_url: str, tag: str) -> str:
    """The digest ECR holds for ``tag`` in the registry account's repository."""
    registry, _, name = repository_url.partition("/")
    with _aws.aws_errors(f"looking up image {name}:{tag} in ECR"):
        ecr = session.client("ecr")
        try:
            details = ecr.describe_images(
                registryId=registry.split(".", 1)[0], repositoryName=name, imageIds=[{"imageTag": tag}]
            )["imageDetails"]
        except ecr.exceptions.ImageNotFoundException:
            details = []
    if not details:
        raise Exit(f"ECR has no image {name}:{tag}: let the deploy workflow build it, or pass --image sha256:….")
    return details[0]["imageDigest"]


def signer_identity(github_repository: str) -> str:
    """The certificate identity keyless signing gives the deploy workflow on main (D6)."""
    return f"https://github.com/{github_repository}/.github/workflows/deploy.yml@refs/heads/main"


def cosign_argv(project: Project, reference: str) -> list[str]:
    return [
        "cosign",
        "verify",
        "--certificate-identity",
        signer_identity(project.github_repository),
        "--certificate-oidc-issuer",
        GITHUB_ISSUER,
        reference,
    ]


def docker_config(session, registry: str) -> dict:
    """A Docker config that logs cosign in to ``registry`` with a fresh ECR token (no docker needed)."""
    with _aws.aws_errors("getting an ECR login token"):
        data = session.client("ecr").get_authorization_token()["authorizationData"][0]
    username, password, _ = _aws.ecr_login(data)
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"auths": {registry: {"auth": auth}}}


def verify_signature(fx: Effects, project: Project, session, name: str, digest: str) -> None:
    """Check the digest was signed by this repository's deploy workflow on main; stop otherwise."""
    reference = f"{name}@{digest}"
    with tempfile.TemporaryDirectory(prefix="cosign-") as home:
        (Path(home) / "config.json").write_text(json.dumps(docker_config(session, name.split("/", 1)[0])))
        result = fx.read(cosign_argv(project, reference), env={"DOCKER_CONFIG": home})
    if result.exited == 127:
        raise Exit("cosign is not on PATH: install it (https://docs.sigstore.dev/cosign/system_config/installation/).")
    if result.exited != 0:
        print(result.stderr.strip()[-2000:])
        raise Exit(
            f"The signature of {reference} does not verify as signed by {signer_identity(project.github_repository)}: "
            "refusing to deploy it (cosign's reason is above)."
        )
    print(f"Signature verified: {reference} was signed by the deploy workflow on main.")
