"""docs/architecture.md: a diagram, and a cost table whose totals add up for the options chosen."""

from __future__ import annotations

import re

import pytest
from conftest import BAKE_IDS, terraform_dir

MONEY = re.compile(r"^\*{0,2}(\d+(?:\.\d+)?)\*{0,2}$")


def _cost_table(text: str) -> list[list[str]]:
    section = text.split("## Monthly cost", 1)[1]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ][1:]  # without the header


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
