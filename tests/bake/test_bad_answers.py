"""Bad answers, end to end: one clear line naming the field, a non-zero exit, nothing on disk."""

from __future__ import annotations

import pytest
from bakery import TEMPLATE_DIR
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

# Each case breaks exactly one rule; derived answers are pinned so they stay valid.
VALID_NAMES = {
    "project_slug": "ok-service",
    "package_name": "ok_service",
    "github_repository": "acme/ok-service",
    "oidc_audience": "ok-service",
    "production_aws_account_id": "123456789012",
}

BAD_ANSWERS = [
    ("project_name", {"project_name": "   "}),
    ("project_name", {"project_name": 'The "Best" API'}),
    ("project_slug", {"project_slug": "Bad Slug"}),
    ("project_slug", {"project_slug": "double--hyphen"}),
    ("project_slug", {"project_slug": "1st-service"}),
    ("project_slug", {"project_slug": "a-slug-long-enough-to-break-aws-names"}),
    ("package_name", {"package_name": "class"}),
    ("package_name", {"package_name": "9lives"}),
    ("description", {"description": ""}),
    ("author_name", {"author_name": ""}),
    ("author_email", {"author_email": "not-an-email"}),
    ("github_repository", {"github_repository": "no-slash"}),
    ("github_repository", {"github_repository": "-bad/name"}),
    ("aws_region", {"aws_region": "us-east-9"}),
    ("aws_region", {"aws_region": "US-EAST-1"}),
    ("aws_account_id", {"aws_account_id": "12345"}),
    ("aws_account_id", {"aws_account_id": "12345678901a"}),
    ("domain_name", {"domain_name": "bad_domain.com"}),
    ("domain_name", {"domain_name": "localhost"}),
    ("node_instance_type", {"node_instance_type": "t3.nano"}),
    ("node_instance_type", {"node_instance_type": "huge"}),
    ("db_instance_class", {"db_instance_class": "t3.micro"}),
    ("production_aws_account_id", {"production_aws_account_id": "12345"}),
    ("route53_zone_id", {"route53_zone_id": "Z0123456789ABCDEFGHIJ"}),  # without a domain_name
    ("kubernetes_api_cidrs", {"kubernetes_api_cidrs": "203.0.113.0/24"}),  # with private access
    ("cluster_admin_arns", {"cluster_admin_arns": "Admin"}),
    ("staging_vpc_cidr", {"staging_vpc_cidr": "8.8.0.0/16"}),
    ("production_vpc_cidr", {"production_vpc_cidr": "10.10.0.0/20"}),  # inside staging's
    ("alarm_email", {"alarm_email": "oncall"}),
    ("oidc_issuer_url", {"oidc_issuer_url": "http://login.example.com"}),
    ("oidc_audience", {"oidc_audience": "two words"}),
]


@pytest.mark.parametrize(
    ("field", "answers"), BAD_ANSWERS, ids=[f"{f}={next(iter(a.values()))!r}" for f, a in BAD_ANSWERS]
)
def test_bad_answer_is_refused_with_one_line_and_leaves_nothing(tmp_path, capfd, field, answers):
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=VALID_NAMES | answers, output_dir=str(tmp_path))

    value = next(iter(answers.values()))
    reported, summary = capfd.readouterr().err.splitlines()
    assert reported.startswith(f"ERROR: {field} {value!r} ") and reported.endswith(".")
    assert summary == "ERROR: 1 answer(s) rejected; nothing was generated."
    assert list(tmp_path.iterdir()) == []


def test_the_cases_cover_every_free_text_question():
    from bakery import CHOICE_OPTIONS, OPTIONS

    free_text = {key for key in OPTIONS if not key.startswith("_") and key not in CHOICE_OPTIONS}
    assert {field for field, _ in BAD_ANSWERS} == free_text
