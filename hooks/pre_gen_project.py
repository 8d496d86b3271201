"""Validate every answer before anything is written.

Each rule is a small function that returns an error sentence or None. All broken rules are printed,
one line each, naming the field, the value and what is allowed; then the hook exits non-zero and
cookiecutter removes the half-made project directory.
"""

from __future__ import annotations

import ipaddress
import json
import keyword
import re
import sys
from collections.abc import Callable

AWS_REGIONS = frozenset(
    (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "mx-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "af-south-1",
        "me-south-1",
        "me-central-1",
        "il-central-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-1",
        "ap-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
    )
)
PYTHON_VERSIONS = ("3.12", "3.11", "3.13")
KUBERNETES_VERSIONS = ("1.35", "1.36")
POSTGRES_VERSIONS = ("17", "16", "15")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Not open source")
YES_NO = ("y", "n")
API_ACCESS = ("private", "public")
# EKS takes at most 40 CIDR blocks for its public endpoint.
MAX_API_CIDRS = 40
MAX_ADMIN_ARNS = 20

# AWS names derived from the slug, with the service's length limit (see docs/contract.md).
# The longest environment name is used, so every environment fits.
DERIVED_NAMES = (
    ("S3 state bucket", "{slug}-tfstate-{account}", 63),
    ("S3 static bucket", "{slug}-production-static-{account}", 63),
    ("RDS identifier", "{slug}-production", 63),
    ("EKS cluster name", "{slug}-production", 100),
    ("IAM role name", "{slug}-production-cloudwatch-agent", 64),
    ("load balancer and target group name", "{slug}-production", 32),
)

SLUG = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
NODE_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.(?:small|medium|large|\d*xlarge|metal)$")
DB_INSTANCE_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.(?:micro|small|medium|large|\d*xlarge)$")
HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
PRINCIPAL_ARN = re.compile(r"^arn:aws:iam::\d{12}:(?:role|user)/[A-Za-z0-9+=,.@_/-]{1,512}$")
HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$")
AUDIENCE = re.compile(r"^[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,200}$")


def check_text(field: str, value: str, limit: int) -> str | None:
    if not value.strip() or len(value) > limit or "\n" in value or '"' in value or "\\" in value:
        return (
            f"{field} {value!r} is not allowed: use one line of 1 to {limit} characters "
            "without double quotes or backslashes."
        )
    return None


def check_slug(slug: str) -> str | None:
    if not SLUG.match(slug) or not 3 <= len(slug) <= 40:
        return (
            f"project_slug {slug!r} is not allowed: use 3 to 40 lowercase letters, digits and single "
            "hyphens, starting with a letter and ending with a letter or digit."
        )
    return None


def check_derived_names(slug: str, account: str) -> str | None:
    if check_slug(slug) or not ACCOUNT_ID.match(account):
        return None  # Reported by their own rules.
    for what, pattern, limit in DERIVED_NAMES:
        name = pattern.format(slug=slug, account=account)
        if len(name) > limit:
            longest = limit - len(pattern.format(slug="", account=account))
            return (
                f"project_slug {slug!r} is too long: the {what} {name!r} would exceed AWS's "
                f"{limit}-character limit; use at most {longest} characters."
            )
    return None


def check_package(package: str) -> str | None:
    # 59 = PostgreSQL's 63-character identifier limit less "_app", the suffix of the app's database role.
    if not PACKAGE.match(package) or keyword.iskeyword(package) or len(package) > 59:
        return (
            f"package_name {package!r} is not allowed: use a lowercase Python identifier of at most "
            "59 characters (letters, digits, underscores; starting with a letter; not a keyword)."
        )
    return None


def check_email(email: str) -> str | None:
    if not EMAIL.match(email):
        return f"author_email {email!r} is not allowed: use an address like name@example.com."
    return None


def check_github_repository(repository: str) -> str | None:
    if not GITHUB_REPOSITORY.match(repository) or repository.split("/")[1] in (".", ".."):
        return (
            f"github_repository {repository!r} is not allowed: use owner/name as on GitHub "
            "(owner: letters, digits, single hyphens, at most 39; name: letters, digits, '.', '_', '-')."
        )
    return None


def check_region(region: str) -> str | None:
    if region not in AWS_REGIONS:
        return f"aws_region {region!r} is not allowed: use an AWS region code such as us-east-1 or eu-west-1."
    return None


def check_account(account: str, field: str = "aws_account_id") -> str | None:
    if not ACCOUNT_ID.match(account):
        return f"{field} {account!r} is not allowed: use the 12 digits of an AWS account id."
    return None


def check_domain(domain: str) -> str | None:
    if not domain:
        return None
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(DOMAIN_LABEL.match(label) for label in labels)
        or not labels[-1].isalpha()
    ):
        return (
            f"domain_name {domain!r} is not allowed: leave it empty or use a lowercase domain such as api.example.com."
        )
    return None


def check_route53_zone_id(zone_id: str, domain: str) -> str | None:
    if not zone_id:
        return None
    if not HOSTED_ZONE_ID.match(zone_id):
        return (
            f"route53_zone_id {zone_id!r} is not allowed: leave it empty or use a hosted zone id such as "
            "Z0123456789ABCDEFGHIJ."
        )
    if not domain:
        return (
            f"route53_zone_id {zone_id!r} is not allowed without a domain_name: leave it empty or answer "
            "domain_name too."
        )
    return None


def split_list(value: str) -> list[str]:
    """A comma-separated answer as its items (spaces around commas are allowed)."""
    return [item.strip() for item in value.split(",")] if value.strip() else []


def check_api_cidrs(cidrs: str, access: str) -> str | None:
    items = split_list(cidrs)
    if access != "public":
        if cidrs:
            return (
                f"kubernetes_api_cidrs {cidrs!r} is not allowed with kubernetes_api_access {access!r}: leave it empty."
            )
        return None
    if not items:
        return (
            f"kubernetes_api_cidrs {cidrs!r} is not allowed: with kubernetes_api_access 'public' list the IPv4 "
            "CIDRs that may reach the Kubernetes API, comma-separated, such as 203.0.113.0/24."
        )
    for item in items:
        try:
            network = ipaddress.IPv4Network(item)
        except ValueError:
            network = None
        if network is None or str(network) != item:
            return (
                f"kubernetes_api_cidrs {cidrs!r} is not allowed: {item!r} is not an IPv4 CIDR such as "
                "203.0.113.0/24 (host bits zero)."
            )
    if len(items) > MAX_API_CIDRS:
        return f"kubernetes_api_cidrs {cidrs!r} is not allowed: EKS takes at most {MAX_API_CIDRS} CIDRs."
    return None


def check_admin_arns(arns: str) -> str | None:
    items = split_list(arns)
    bad = [item for item in items if not PRINCIPAL_ARN.match(item)]
    if arns and (not items or bad or len(items) > MAX_ADMIN_ARNS):
        return (
            f"cluster_admin_arns {arns!r} is not allowed: leave it empty or list up to {MAX_ADMIN_ARNS} IAM role or "
            "user ARNs, comma-separated, such as arn:aws:iam::123456789012:role/Admin."
        )
    return None


def check_vpc_cidr(field: str, cidr: str) -> str | None:
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError:
        network = None
    if network is None or str(network) != cidr or not network.is_private or not 16 <= network.prefixlen <= 20:
        return (
            f"{field} {cidr!r} is not allowed: use a private IPv4 CIDR from 10.0.0.0/8, 172.16.0.0/12 or "
            "192.168.0.0/16 with a prefix from /16 to /20, such as 10.10.0.0/16."
        )
    return None


def check_vpc_cidrs_apart(staging: str, production: str) -> str | None:
    if check_vpc_cidr("staging_vpc_cidr", staging) or check_vpc_cidr("production_vpc_cidr", production):
        return None  # Reported by their own rules.
    if ipaddress.IPv4Network(staging).overlaps(ipaddress.IPv4Network(production)):
        return (
            f"production_vpc_cidr {production!r} is not allowed: it overlaps staging_vpc_cidr {staging!r}; "
            "use ranges that do not overlap, so the networks can be peered."
        )
    return None


def check_optional_email(field: str, email: str) -> str | None:
    if email and not EMAIL.match(email):
        return f"{field} {email!r} is not allowed: leave it empty or use an address like name@example.com."
    return None


def check_issuer_url(url: str) -> str | None:
    if url and (not HTTPS_URL.match(url) or len(url) > 300):
        return (
            f"oidc_issuer_url {url!r} is not allowed: leave it empty or use the https URL of an OIDC issuer, "
            "such as https://login.example.com/."
        )
    return None


def check_audience(audience: str) -> str | None:
    if not AUDIENCE.match(audience):
        return (
            f"oidc_audience {audience!r} is not allowed: use 1 to 200 characters without spaces, quotes or "
            "backslashes, such as example-service or https://api.example.com."
        )
    return None


def check_node_instance_type(instance_type: str) -> str | None:
    if not NODE_INSTANCE_TYPE.match(instance_type):
        return (
            f"node_instance_type {instance_type!r} is not allowed: use an EC2 instance type of "
            "size small or larger, such as t3.medium or m7i.large."
        )
    return None


def check_db_instance_class(instance_class: str) -> str | None:
    if not DB_INSTANCE_CLASS.match(instance_class):
        return (
            f"db_instance_class {instance_class!r} is not allowed: use an RDS instance class "
            "such as db.t4g.micro or db.m7g.large."
        )
    return None


def check_choice(field: str, value: str, allowed: tuple[str, ...]) -> str | None:
    if value not in allowed:
        return f"{field} {value!r} is not allowed: use one of {', '.join(allowed)}."
    return None


def rules(answers: dict[str, str]) -> list[Callable[[], str | None]]:
    """Every rule, bound to the answers it checks."""
    a = answers
    return [
        lambda: check_text("project_name", a["project_name"], 80),
        lambda: check_slug(a["project_slug"]),
        lambda: check_derived_names(a["project_slug"], a["aws_account_id"]),
        lambda: check_package(a["package_name"]),
        lambda: check_text("description", a["description"], 200),
        lambda: check_text("author_name", a["author_name"], 80),
        lambda: check_email(a["author_email"]),
        lambda: check_github_repository(a["github_repository"]),
        lambda: check_region(a["aws_region"]),
        lambda: check_account(a["aws_account_id"]),
        lambda: check_account(a["production_aws_account_id"], "production_aws_account_id"),
        lambda: check_choice("python_version", a["python_version"], PYTHON_VERSIONS),
        lambda: check_domain(a["domain_name"]),
        lambda: check_route53_zone_id(a["route53_zone_id"], a["domain_name"]),
        lambda: check_choice("kubernetes_version", a["kubernetes_version"], KUBERNETES_VERSIONS),
        lambda: check_choice("kubernetes_api_access", a["kubernetes_api_access"], API_ACCESS),
        lambda: check_api_cidrs(a["kubernetes_api_cidrs"], a["kubernetes_api_access"]),
        lambda: check_admin_arns(a["cluster_admin_arns"]),
        lambda: check_vpc_cidr("staging_vpc_cidr", a["staging_vpc_cidr"]),
        lambda: check_vpc_cidr("production_vpc_cidr", a["production_vpc_cidr"]),
        lambda: check_vpc_cidrs_apart(a["staging_vpc_cidr"], a["production_vpc_cidr"]),
        lambda: check_node_instance_type(a["node_instance_type"]),
        lambda: check_db_instance_class(a["db_instance_class"]),
        lambda: check_choice("postgres_version", a["postgres_version"], POSTGRES_VERSIONS),
        lambda: check_choice("use_cloudfront", a["use_cloudfront"], YES_NO),
        lambda: check_choice("use_worker_instance", a["use_worker_instance"], YES_NO),
        lambda: check_optional_email("alarm_email", a["alarm_email"]),
        lambda: check_issuer_url(a["oidc_issuer_url"]),
        lambda: check_audience(a["oidc_audience"]),
        lambda: check_choice("open_source_license", a["open_source_license"], LICENSES),
    ]


def errors(answers: dict[str, str]) -> list[str]:
    """The sentences of every broken rule, in question order."""
    return [message for rule in rules(answers) if (message := rule())]


def main(answers: dict[str, str]) -> int:
    found = errors(answers)
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    if found:
        print(f"ERROR: {len(found)} answer(s) rejected; nothing was generated.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    # Cookiecutter renders this file before running it: the answers arrive as one JSON string literal.
    sys.exit(main(json.loads({{cookiecutter | jsonify | tojson}})))
