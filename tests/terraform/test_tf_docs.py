"""docs/architecture.md: a diagram, and a cost table whose totals add up for the options chosen."""

from __future__ import annotations

import re

import pytest
from conftest import BAKE_IDS, terraform_dir

MONEY = re.compile(r"^\*{0,2}(\d+(?:\.\d+)?)\*{0,2}$")


def _table(text: str, heading: str) -> list[list[str]]:
    """The rows of the first table under a heading, without its header row."""
    section = text.split(heading, 1)[1]
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        if not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]


def _cost_table(text: str) -> list[list[str]]:
    return _table(text, "## Monthly cost")


def _amount(cell: str) -> float:
    return float(MONEY.match(cell).group(1))


def _row(rows: list[list[str]], prefix: str) -> list[str]:
    (row,) = [row for row in rows if row[0].startswith(prefix)]
    return row


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_architecture_page_has_a_diagram_and_consistent_costs(bake_id):
    text = (terraform_dir(bake_id).parent / "docs" / "architecture.md").read_text()
    assert "```mermaid\nflowchart" in text
    rows = _cost_table(text)
    *items, total = rows
    assert total[0] == "**total, USD per month**" and len(items) >= 10
    for column in (1, 2):
        amounts = [float(MONEY.match(row[column]).group(1)) for row in items]
        assert abs(sum(amounts) - float(MONEY.match(total[column]).group(1))) <= 0.5
    staging, production = (float(MONEY.match(total[column]).group(1)) for column in (1, 2))
    assert staging < production, "staging is meant to be the cheaper environment"
    optional = {
        "WAF web ACL on CloudFront": "use_cloudfront=n",
        "Worker EC2": "use_worker_instance=n",
        "SSM access instance": "kubernetes_api_access=public",
    }
    for item, absent_when in optional.items():
        listed = any(row[0].startswith(item) for row in items)
        assert listed != (absent_when in bake_id), f"{item}: listed={listed} in bake {bake_id}"
    assert any(row[0].startswith("~CodeBuild runner") for row in items), "every environment pays for its CI runner"
    isolation = text.split("## Isolation of the environments", 1)[1]
    shared = "Residual risk of the shared account" in isolation
    assert shared != ("production_aws_account_id=" in bake_id), "the shared-account risk is stated exactly when shared"


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_the_cloudwatch_lines_add_up_and_feed_the_monthly_total(bake_id):
    text = (terraform_dir(bake_id).parent / "docs" / "architecture.md").read_text()
    *lines, total = _table(text, "## Cost: CloudWatch and edge")
    assert total[0] == "**CloudWatch, USD per month**"
    for prefix in (
        "~EKS control-plane logs, all 5 types",
        "~VPC flow logs (ALL traffic",
        "~Container Insights performance events",
        "~Container Insights metrics",
        "~CodeBuild runner build logs",
        "Alarms: 9 standard",
    ):
        _row(lines, prefix)
    sums = [sum(_amount(row[column]) for row in lines) for column in (1, 2)]
    for column, amount in zip((1, 2), sums, strict=True):
        assert abs(amount - _amount(total[column])) <= 0.5, f"CloudWatch column {column}: {amount:.2f}, {total[column]}"
    # The monthly table carries the CloudWatch table's total, not a guess of its own.
    cloudwatch = _row(_cost_table(text), "~CloudWatch")
    for column, amount in zip((1, 2), sums, strict=True):
        # Each printed line is rounded to the cent: their sum may drift by a few cents.
        assert abs(_amount(cloudwatch[column]) - amount) <= 0.05, f"monthly {cloudwatch[column]}, lines {amount:.2f}"
    assert _row(lines, "~EKS control-plane logs")[1:] == ["15.90", "26.55"], "30 GB at $0.53 / 45 GB at $0.59"


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_the_load_balancer_pays_for_public_addresses_and_rules_only_when_it_is_the_entry(bake_id):
    rows = _cost_table((terraform_dir(bake_id).parent / "docs" / "architecture.md").read_text())
    ipv4, waf = _row(rows, "Public IPv4 addresses"), _row(rows, "WAF web ACL on the ALB")
    if "use_cloudfront=n" in bake_id:
        assert ipv4[1:] == ["14.60", "21.90"] and "ALB" in ipv4[0], "NAT addresses and the ALB's three"
        assert waf[1:] == ["9.00", "9.00"], "$5 + common, known bad inputs, body size, rate per IP"
    else:
        assert ipv4[1:] == ["3.65", "10.95"], "behind a VPC origin the ALB is internal: NAT addresses only"
        assert waf[1:] == ["8.00", "8.00"], "$5 + three rules: the rate rule is on CloudFront's ACL"
        assert _row(rows, "WAF web ACL on CloudFront")[1:] == ["9.00", "9.00"]
