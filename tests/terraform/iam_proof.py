"""Prove the environments' isolation with an IAM emulator and a policy evaluator.

The CI identities of both environments (bootstrap's boundaries, plan and provision roles, and the
environments' deploy roles) are applied with the real Terraform modules, through the local provider
mirror, to moto's IAM (which validates every policy document and ships AWS's managed policies).
Their effective permissions are exported (`get_account_authorization_details`) and evaluated by
iam-ape, which folds identity policies, explicit denies and permission boundaries into one report,
with the action database taken from policy_sentry's copy of the Service Authorization Reference
(iam-ape's bundled one predates EKS access entries). iam-ape leaves conditions symbolic, so
`allows()` finally evaluates them against a concrete request: the resource ARN and its context keys.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import policy_sentry
from iam_ape.evaluator import AuthorizationDetails, EffectivePolicyEvaluator
from iam_ape.expand_policy import PolicyExpander
from iam_ape.helper_types import EntityType

ACCOUNT = "123456789012"  # moto's default account: both environments share it, the case that matters
REGION = "us-east-1"
PROJECT = "probe"
REPOSITORY = "example-org/probe"


# ---------------------------------------------------------------- the emulator


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MotoServer:
    """moto_server on a free loopback port, with AWS's managed policies loaded."""

    def __init__(self, executable: str):
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        self.process = subprocess.Popen(
            [executable, "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto_server did not listen on port {self.port} within 60 s")

    def iam(self):
        return boto3.client(
            "iam",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# A root that applies only the identities, with the modules the generated project uses.
IDENTITY_ROOT = f"""
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }}
  }}
}}

variable "endpoint" {{
  type = string
}}

provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    iam = var.endpoint
    sts = var.endpoint
  }}
}}

resource "aws_iam_openid_connect_provider" "github" {{
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}}

module "ci_identity" {{
  source   = "../modules/ci_identity"
  for_each = toset(["staging", "production"])

  project                  = "{PROJECT}"
  environment              = each.key
  github_repository        = "{REPOSITORY}"
  github_oidc_provider_arn = aws_iam_openid_connect_provider.github.arn
  state_bucket_name        = "{PROJECT}-tfstate-{ACCOUNT}"
  state_kms_key_arn        = "arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000001"
}}

module "deploy_role" {{
  source   = "../modules/deploy_role"
  for_each = module.ci_identity

  name                     = "{PROJECT}-${{each.key}}"
  environment              = each.key
  github_repository        = "{REPOSITORY}"
  cluster_arn              = "arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{PROJECT}-${{each.key}}"
  state_bucket_name        = "{PROJECT}-tfstate-{ACCOUNT}"
  state_kms_key_arn        = "arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000001"
  registry_account_id      = "{ACCOUNT}"
  repository_name          = "{PROJECT}"
  permissions_boundary_arn = each.value.permissions_boundary_arn
}}
"""


def authorization_details(iam) -> dict:
    details: dict[str, list] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        for key, entries in details.items():
            entries.extend(page.get(key, []))
    return json.loads(json.dumps(details, default=str))


# ---------------------------------------------------------------- the evaluator


def actions_database(directory: Path) -> Path:
    """iam-ape's action database (service -> action -> access level) from policy_sentry's data."""
    source = Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
    definitions = json.loads(source.read_text())
    actions = {
        service: {
            name: {"description": privilege.get("description", ""), "access": privilege["access_level"]}
            for name, privilege in definition["privileges"].items()
        }
        for service, definition in definitions.items()
        if isinstance(definition, dict) and "privileges" in definition
    }
    (directory / "actions.json").write_text(json.dumps(actions))
    archive = directory / "aws_iam_actions.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(directory / "actions.json", arcname="actions.json")
    return archive


def effective_permissions(details: dict, database: Path, role_arn: str) -> dict:
    evaluator = EffectivePolicyEvaluator(AuthorizationDetails(details), policy_expander=PolicyExpander(str(database)))
    return evaluator.create_json_report(evaluator.evaluate(role_arn, EntityType.role))


@dataclass(frozen=True)
class Request:
    """One API call: the action, the resource it targets and the condition keys AWS would supply."""

    action: str
    resource: str
    context: dict[str, object] = field(default_factory=dict)


def _matches(pattern: str, value: str) -> bool:
    return (
        re.fullmatch(".*".join(re.escape(part).replace(r"\?", ".") for part in pattern.split("*")), value) is not None
    )


def _values(context: dict, key: str) -> list[str] | None:
    value = context.get(key)
    if value is None:
        return None
    return [str(item) for item in value] if isinstance(value, (list, tuple, set)) else [str(value)]


_COMPARE = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringLike": lambda actual, expected: fnmatch.fnmatchcase(actual, expected),
    "ArnEquals": lambda actual, expected: actual == expected,
    "ArnLike": lambda actual, expected: _matches(expected, actual),
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
}


def _condition_holds(operator: str, key: str, expected: list[str], context: dict) -> bool:
    """IAM's semantics: a positive operator needs the key; a negated one holds when it is absent."""
    quantifier, _, base = operator.rpartition(":")
    negated = "Not" in base
    compare = _COMPARE.get(base.replace("Not", "", 1) if negated else base)
    if compare is None:
        raise ValueError(f"condition operator {operator!r} is not evaluated here: add it to iam_proof._COMPARE")
    actual = _values(context, key)
    if actual is None:
        return negated
    hits = [any(compare(value, item) for item in expected) for value in actual]
    if quantifier == "ForAllValues":
        return all(not hit for hit in hits) if negated else all(hits)
    if quantifier == "ForAnyValue":
        return any(not hit for hit in hits) if negated else any(hits)
    return not any(hits) if negated else any(hits)


def _conditions_hold(conditions: dict | None, context: dict) -> bool:
    return all(
        _condition_holds(
            operator, key, [str(v) for v in (expected if isinstance(expected, list) else [expected])], context
        )
        for operator, keys in (conditions or {}).items()
        for key, expected in keys.items()
    )


def _entries(report_part: dict, request: Request):
    """The report's entries for this action whose resource covers the request's (iam-ape writes a
    statement's NotResource as a "NotResource" list beside the access levels)."""
    service = request.action.split(":")[0]
    for resource, levels in report_part.get(service, {}).items():
        if resource != "*" and not _matches(resource, request.resource):
            continue
        if any(_matches(excluded, request.resource) for excluded in levels.get("NotResource", [])):
            continue
        for level, actions in levels.items():
            if level == "NotResource":
                continue
            for action, entry in actions.items():
                if action.lower() == request.action.lower():
                    yield entry


def allows(report: dict, request: Request) -> bool:
    """Allowed by some effective permission whose conditions hold, and by no matching explicit deny."""
    allowed = any(
        _conditions_hold(entry["Condition"], request.context)
        for entry in _entries(report["allowed_permissions"], request)
    )
    denied = any(
        _conditions_hold(entry["Condition"], request.context)
        for entry in _entries(report["denied_permissions"], request)
    )
    return allowed and not denied
