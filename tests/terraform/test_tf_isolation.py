"""In an account both environments share, no staging principal can read production's database
secret, write production's state key or change production's cluster access — and every role can
still do its own job. Proven on the real modules applied to moto's IAM and evaluated by iam-ape
(iam_proof.py); production's principals are held to the same against staging.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from bakery import tool
from conftest import figure, terraform_dir
from iam_proof import (
    ACCOUNT,
    IDENTITY_ROOT,
    PROJECT,
    REGION,
    MotoServer,
    Request,
    actions_database,
    allows,
    authorization_details,
    effective_permissions,
)
from tf_plan import CI_FLAG, adapt, cli_config, find_toolchain, required, scratch_copy

ROLES = ("plan", "provision", "deploy")
BUCKET = f"arn:aws:s3:::{PROJECT}-tfstate-{ACCOUNT}"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def database_secret(environment: str) -> Request:
    """GetSecretValue on an environment's RDS-managed master secret (named rds!db-<uuid>, tagged by RDS)."""
    return Request(
        "secretsmanager:GetSecretValue",
        _arn("secretsmanager", f"secret:rds!db-{environment}-0000-4000-8000-00000000000a-AbCdEf"),
        {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": _arn("rds", f"db:{PROJECT}-{environment}")},
    )


def state_write(environment: str) -> Request:
    return Request("s3:PutObject", f"{BUCKET}/{environment}/terraform.tfstate")


def state_read(environment: str) -> Request:
    return Request("s3:GetObject", f"{BUCKET}/{environment}/terraform.tfstate")


def cluster_tags(environment: str) -> dict:
    return {"aws:ResourceTag/Environment": environment}


def access_entry_created(environment: str) -> Request:
    return Request("eks:CreateAccessEntry", _arn("eks", f"cluster/{PROJECT}-{environment}"), cluster_tags(environment))


def access_policy_associated(environment: str) -> Request:
    return Request(
        "eks:AssociateAccessPolicy",
        _arn("eks", f"access-entry/{PROJECT}-{environment}/role/{ACCOUNT}/Attacker/0123"),
        cluster_tags(environment),
    )


def cluster_described(environment: str) -> Request:
    return Request("eks:DescribeCluster", _arn("eks", f"cluster/{PROJECT}-{environment}"), cluster_tags(environment))


def key_used(environment: str) -> Request:
    return Request(
        "kms:Decrypt",
        _arn("kms", "key/00000000-0000-4000-8000-0000000000ff"),
        {"kms:ResourceAliases": [f"alias/{PROJECT}-{environment}"], "aws:ResourceTag/Environment": environment},
    )


def deploy_trust_changed(environment: str) -> Request:
    return Request("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{environment}-deploy")


def unbounded_role_created(environment: str) -> Request:
    return Request("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{environment}-anything")


def bounded_role_created(environment: str) -> Request:
    return Request(
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{environment}-anything",
        {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/{PROJECT}-{environment}-boundary"},
    )


# What a principal of one environment must never do to the other one.
FORBIDDEN_ON_THE_OTHER = {
    "read its database secret": database_secret,
    "write its state key": state_write,
    "read its state key": state_read,
    "create an access entry on its cluster": access_entry_created,
    "associate an access policy on its cluster": access_policy_associated,
    "decrypt with its KMS key": key_used,
    "rewrite its deploy role's trust": deploy_trust_changed,
}

# What each role must still be able to do in its own environment, and what it must not.
OWN = {
    "plan": {
        "read its state key": (state_read, True),
        "write its state object": (state_write, False),
        "read its own database secret": (database_secret, False),
        "describe its cluster": (cluster_described, True),
    },
    "provision": {
        "write its state key": (state_write, True),
        "create an access entry on its cluster": (access_entry_created, True),
        "associate an access policy on its cluster": (access_policy_associated, True),
        "rewrite its deploy role's trust": (deploy_trust_changed, True),
        "create a role under its boundary": (bounded_role_created, True),
        "create a role without its boundary": (unbounded_role_created, False),
        "decrypt with its KMS key": (key_used, True),
    },
    "deploy": {
        "read its state key": (state_read, True),
        "write its state key": (state_write, False),
        "describe its cluster": (cluster_described, True),
        "create an access entry on its cluster": (access_entry_created, False),
        "read its database secret": (database_secret, False),
    },
}


@pytest.fixture(scope="session")
def reports(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """iam-ape's report of every CI role of both environments, applied to moto's IAM."""
    toolchain = find_toolchain()
    if isinstance(toolchain, str):
        if required():
            pytest.fail(f"{toolchain} ({CI_FLAG}=1: in CI the terraform binary and provider mirror are required)")
        pytest.skip(f"isolation proof not run: {toolchain}")
    scratch = tmp_path_factory.mktemp("isolation")
    scratch_copy(terraform_dir("default"), scratch / "terraform", toolchain)
    root = scratch / "terraform" / "identities"
    root.mkdir()
    text = IDENTITY_ROOT if not toolchain.rewrites else adapt(IDENTITY_ROOT, (), toolchain.provider_version)[0]
    (root / "main.tf").write_text(text)
    config = scratch / "terraformrc"
    config.write_text(cli_config(toolchain))
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config)}
    server = MotoServer(tool("moto_server"))
    try:
        for arguments in (
            ["init", "-input=false"],
            ["apply", "-auto-approve", "-input=false", f"-var=endpoint={server.endpoint}"],
        ):
            result = subprocess.run(
                [toolchain.terraform, f"-chdir={root}", *arguments, "-no-color"],
                capture_output=True,
                text=True,
                env=env,
                timeout=900,
                check=False,
            )
            assert result.returncode == 0, f"terraform {arguments[0]} against moto:\n{result.stdout}{result.stderr}"
        details = authorization_details(server.iam())
    finally:
        server.stop()
    database = actions_database(scratch)
    found = {
        (environment, role): effective_permissions(
            details, database, f"arn:aws:iam::{ACCOUNT}:role/{PROJECT}-{environment}-{role}"
        )
        for environment in ("staging", "production")
        for role in ROLES
    }
    figure(f"isolation: {len(details['RoleDetailList'])} roles applied to moto's IAM and evaluated by iam-ape")
    return found


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", FORBIDDEN_ON_THE_OTHER)
def test_no_principal_reaches_the_other_environment(reports, environment, role, what):
    other = "production" if environment == "staging" else "staging"
    request = FORBIDDEN_ON_THE_OTHER[what](other)
    assert not allows(reports[environment, role], request), f"{PROJECT}-{environment}-{role} can {what} of {other}"


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize(("role", "what"), [(role, what) for role, cases in OWN.items() for what in cases])
def test_each_role_can_do_its_own_job_and_no_more(reports, environment, role, what):
    make, expected = OWN[role][what]
    assert allows(reports[environment, role], make(environment)) is expected, (
        f"{PROJECT}-{environment}-{role} {'cannot' if expected else 'can'} {what}"
    )
