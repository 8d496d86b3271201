"""Each rule of the pre-gen hook, alone: what it accepts and what it refuses."""

from __future__ import annotations

import pytest
from bakery import OPTIONS, default_answer

from hooks import pre_gen

DEFAULTS = {
    key: default_answer(key) for key in OPTIONS if not key.startswith("_") and "{{" not in str(default_answer(key))
} | {
    "project_slug": "example-service",
    "package_name": "example_service",
    "github_repository": "example-org/example-service",
    "production_aws_account_id": "123456789012",
    "oidc_audience": "example-service",
}


def test_the_default_answers_pass_every_rule():
    assert pre_gen.errors(DEFAULTS) == []


def test_every_question_has_a_rule():
    checked = {key for key in DEFAULTS if pre_gen.errors(DEFAULTS | {key: "\n"})}
    assert checked == set(DEFAULTS)


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (
            pre_gen.check_slug,
            ["abc", "my-api-2", "a" * 40],
            ["ab", "Abc", "a--b", "-ab", "ab-", "1ab", "a_b", "a" * 41],
        ),
        (pre_gen.check_package, ["pkg", "my_api_2", "a" * 59], ["Pkg", "class", "9lives", "a-b", "a" * 60]),
        (pre_gen.check_email, ["a@b.co", "first.last+x@sub.example.org"], ["a", "a@b", "a@@b.com", "a b@c.com"]),
        (
            pre_gen.check_github_repository,
            ["o/n", "my-org/my.repo_1"],
            ["o", "-o/n", "o-/n", "o/n/x", "o/..", "o" * 40 + "/n"],
        ),
        (pre_gen.check_region, ["us-east-1", "eu-central-2"], ["us-east-9", "US-EAST-1", "", "mars-1"]),
        (pre_gen.check_account, ["000000000000", "123456789012"], ["1234", "12345678901a", " 123456789012"]),
        (
            pre_gen.check_domain,
            ["", "api.example.com", "a-b.example.co.uk"],
            ["localhost", "bad_domain.com", "-a.com", "a.123", "A.com"],
        ),
        (
            pre_gen.check_node_instance_type,
            ["t3.medium", "m7i.2xlarge", "c7g.metal"],
            ["t3.nano", "t3.micro", "huge", "db.t3.large"],
        ),
        (pre_gen.check_db_instance_class, ["db.t4g.micro", "db.r7g.2xlarge"], ["t3.micro", "db.t4g", "db..micro"]),
        (
            pre_gen.check_admin_arns,
            [
                "",
                "arn:aws:iam::123456789012:role/Admin",
                "arn:aws:iam::123456789012:user/a, arn:aws:iam::1234567890"
                "12:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
            ],
            ["Admin", " ", "arn:aws:iam::1234:role/Admin", "arn:aws:iam::123456789012:group/g", "a,,b"],
        ),
        (
            lambda cidr: pre_gen.check_vpc_cidr("staging_vpc_cidr", cidr),
            ["10.10.0.0/16", "172.16.0.0/20", "192.168.0.0/18"],
            ["8.8.0.0/16", "10.10.0.1/16", "10.0.0.0/8", "10.10.0.0/21", "fd00::/16", "ten"],
        ),
        (
            pre_gen.check_issuer_url,
            ["", "https://login.example.com", "https://x.example.com:8443/realms/a/"],
            ["http://login.example.com", "https://", "login.example.com", "https://a b.com", 'https://a.com/"x'],
        ),
        (pre_gen.check_audience, ["svc", "https://api.example.com", "0oa1b2c3"], ["", "two words", 'q"', "x" * 201]),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_rule_accepts_good_and_refuses_bad(rule, good, bad):
    assert [value for value in good if rule(value)] == []
    refused = {value: rule(value) for value in bad}
    assert all(refused.values()), f"not refused: {[v for v, m in refused.items() if not m]}"
    for value, message in refused.items():
        assert (repr(value) in message and "allowed" in message) or "too long" in message


@pytest.mark.parametrize(("field", "limit"), [("project_name", 80), ("description", 200), ("author_name", 80)])
def test_free_text_must_be_one_short_line_without_quotes(field, limit):
    assert pre_gen.check_text(field, "x" * limit, limit) is None
    for bad in ["", "  ", "x" * (limit + 1), "two\nlines", 'say "hi"', "back\\slash"]:
        assert pre_gen.check_text(field, bad, limit).startswith(f"{field} ")


@pytest.mark.parametrize(
    ("field", "allowed"),
    [
        ("python_version", pre_gen.PYTHON_VERSIONS),
        ("kubernetes_version", pre_gen.KUBERNETES_VERSIONS),
        ("postgres_version", pre_gen.POSTGRES_VERSIONS),
        ("use_cloudfront", pre_gen.YES_NO),
        ("use_worker_instance", pre_gen.YES_NO),
        ("kubernetes_api_access", pre_gen.API_ACCESS),
        ("open_source_license", pre_gen.LICENSES),
    ],
)
def test_choice_rules_match_the_questions(field, allowed):
    # cookiecutter.json and the hook must offer the same values, or a valid answer would be refused.
    assert tuple(OPTIONS[field]) == allowed
    assert (
        pre_gen.check_choice(field, "nope", allowed)
        == f"{field} 'nope' is not allowed: use one of {', '.join(allowed)}."
    )


def test_a_slug_that_makes_an_aws_name_too_long_names_the_limit():
    longest_ok = 32 - len("-production")
    assert pre_gen.check_derived_names("a" * longest_ok, "123456789012") is None
    message = pre_gen.check_derived_names("a" * (longest_ok + 1), "123456789012")
    assert "load balancer and target group name" in message and f"at most {longest_ok} characters" in message


def test_every_broken_rule_is_reported_not_just_the_first():
    answers = DEFAULTS | {"aws_region": "nowhere", "aws_account_id": "1", "author_email": "x"}
    fields = [message.split()[0] for message in pre_gen.errors(answers)]
    assert fields == ["author_email", "aws_region", "aws_account_id"]


def test_public_api_access_needs_cidrs_and_private_takes_none():
    assert pre_gen.check_api_cidrs("", "private") is None
    assert pre_gen.check_api_cidrs("203.0.113.0/24, 198.51.100.7/32", "public") is None
    assert "with kubernetes_api_access 'private': leave it empty" in pre_gen.check_api_cidrs(
        "203.0.113.0/24", "private"
    )
    assert "list the IPv4 CIDRs" in pre_gen.check_api_cidrs("", "public")
    assert "'203.0.113.1/24' is not an IPv4 CIDR" in pre_gen.check_api_cidrs("203.0.113.1/24", "public")
    too_many = ",".join(f"203.0.113.{i}/32" for i in range(41))
    assert "at most 40 CIDRs" in pre_gen.check_api_cidrs(too_many, "public")


def test_a_hosted_zone_needs_a_domain():
    assert pre_gen.check_route53_zone_id("", "") is None
    assert pre_gen.check_route53_zone_id("Z0123456789ABCDEFGHIJ", "api.example.com") is None
    assert "without a domain_name" in pre_gen.check_route53_zone_id("Z0123456789ABCDEFGHIJ", "")
    assert "hosted zone id" in pre_gen.check_route53_zone_id("zone", "api.example.com")


def test_the_two_vpcs_must_not_overlap():
    assert pre_gen.check_vpc_cidrs_apart("10.10.0.0/16", "10.20.0.0/16") is None
    assert "overlaps staging_vpc_cidr" in pre_gen.check_vpc_cidrs_apart("10.10.0.0/16", "10.10.16.0/20")
    assert pre_gen.check_vpc_cidrs_apart("8.8.0.0/16", "10.10.0.0/16") is None  # reported by its own rule
