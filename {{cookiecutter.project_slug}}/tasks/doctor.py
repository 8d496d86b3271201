"""doctor: is this machine ready to provision and deploy? A table of checks with how to fix each."""

from __future__ import annotations

import json
from collections.abc import Callable

from invoke import Context, Exit, task

from . import _aws
from .k8s import table
from .terraform import backend_config

FIXES = {
    "terraform": "install Terraform >= 1.9: https://developer.hashicorp.com/terraform/install",
    "kubectl": "install kubectl (it renders the kustomize overlays): https://kubernetes.io/docs/tasks/tools/",
    "docker": "install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/",
    "git": "install git",
    "nox": "pip install -e '.[dev]' (nox runs the test sessions)",
    "aws credentials": "run `aws sso login` (or export AWS_PROFILE / AWS_ACCESS_KEY_ID)",
    "state backend": "with AWS credentials, run `invoke bootstrap` once per AWS account",
}

# tool -> (version command, parser of its stdout)
TOOLS: dict[str, tuple[str, Callable[[str], str]]] = {
    "terraform": ("terraform version -json", lambda out: json.loads(out)["terraform_version"]),
    "kubectl": ("kubectl version --client -o json", lambda out: json.loads(out)["clientVersion"]["gitVersion"]),
    "docker": ("docker --version", lambda out: out.split(",")[0].removeprefix("Docker version ").strip()),
    "git": ("git --version", lambda out: out.strip().removeprefix("git version ")),
    "nox": ("nox --version", lambda out: out.strip()),
}


def tool_check(c: Context, name: str) -> tuple[bool, str]:
    command, parse = TOOLS[name]
    result = c.run(command, hide=True, warn=True, dry=False)
    if result.exited != 0:
        return False, "not found" if result.exited == 127 else f"`{command}` exited {result.exited}"
    try:
        return True, parse(result.stdout or result.stderr)
    except (ValueError, KeyError, IndexError):
        return True, "installed (version not understood)"


def identity_check(identity: dict, account_id: str) -> tuple[bool, str]:
    if identity["Account"] != account_id:
        return False, f"{identity['Arn']} is in account {identity['Account']}, the project deploys to {account_id}"
    return True, identity["Arn"]


def rows(checks: dict[str, tuple[bool, str]]) -> list[tuple[str, str, str, str]]:
    """The doctor table: check, ok/MISSING, detail, how to fix (only when missing)."""
    header = [("CHECK", "STATUS", "DETAIL", "HOW TO FIX")]
    return header + [
        (name, "ok" if ok else "MISSING", detail, "" if ok else FIXES[name]) for name, (ok, detail) in checks.items()
    ]


def aws_checks(c: Context) -> dict[str, tuple[bool, str]]:
    p = c.config.project
    session = _aws.session(p.region)
    try:
        identity = identity_check(_aws.caller_identity(session), p.account_id)
    except Exit as error:
        # the message's first part says what failed; the fix column says what to do
        return {
            "aws credentials": (False, error.message.split(":", 1)[0]),
            "state backend": (False, "not checked: it needs AWS credentials"),
        }
    bucket = backend_config(p.slug, p.account_id, p.region, "-")["bucket"]
    try:
        with _aws.aws_errors(f"reading s3://{bucket}"):
            session.client("s3").head_bucket(Bucket=bucket)
        backend = (True, f"s3://{bucket}")
    except Exit:
        backend = (False, f"s3://{bucket} is missing or not readable")
    return {"aws credentials": identity, "state backend": backend}


@task
def doctor(c):
    """Check tools, versions, AWS credentials (STS) and the Terraform state backend; print a table."""
    checks = {name: tool_check(c, name) for name in TOOLS} | aws_checks(c)
    print(table(rows(checks)))
    missing = [name for name, (ok, _) in checks.items() if not ok]
    if missing:
        raise Exit(f"Not ready: {', '.join(missing)} (see HOW TO FIX above).")
    print("Ready to provision and deploy.")
