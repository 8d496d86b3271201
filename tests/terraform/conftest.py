"""Bakes for the Terraform layer, rendered once per session.

The Terraform tree reads only the answers in TERRAFORM_ANSWERS (a test proves the rest leave it
byte-identical), so the matrix is projected onto them: every distinct Terraform input of the
all-pairs matrix and of the named combos is rendered and checked, and nothing is rendered twice.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import hcl2
import tfparse
from bakery import NAMED_COMBOS, all_pairs, combo_id, render
from hcl import OPTIONS, Block, module_dirs, parse_dir

TERRAFORM_ANSWERS = (
    "project_name",
    "project_slug",
    "package_name",
    "github_repository",
    "aws_region",
    "aws_account_id",
    "domain_name",
    "kubernetes_version",
    "node_instance_type",
    "db_instance_class",
    "postgres_version",
    "use_cloudfront",
    "use_worker_instance",
)
ENVIRONMENTS = ("staging", "production")


def _terraform_combos() -> dict[str, dict[str, str]]:
    combos: dict[str, dict[str, str]] = {}
    for answers in [*NAMED_COMBOS.values(), *all_pairs()]:
        relevant = {key: value for key, value in answers.items() if key in TERRAFORM_ANSWERS}
        combos.setdefault(combo_id(relevant), relevant)
    return combos


COMBOS = _terraform_combos()
BAKE_IDS = list(COMBOS)


@cache
def terraform_dir(bake_id: str) -> Path:
    """The rendered `terraform/` of one bake."""
    return render(**COMBOS[bake_id]) / "terraform"


@cache
def tfvars(bake_id: str, root: str) -> dict:
    """The values a root (`environments/<env>` or `bootstrap`) is applied with."""
    text = (terraform_dir(bake_id) / root / "terraform.tfvars").read_text()
    return hcl2.loads(text, serialization_options=OPTIONS)


@cache
def modules(bake_id: str) -> dict[Path, list[Block]]:
    """Every Terraform directory of a bake with its parsed top-level blocks."""
    return {directory: parse_dir(directory) for directory in module_dirs(terraform_dir(bake_id))}


@cache
def evaluated(bake_id: str, root: str) -> dict:
    """tfparse's evaluation of one root (`environments/<env>` or `bootstrap`) with its tfvars."""
    return tfparse.load_from_path(str(terraform_dir(bake_id) / root), vars_paths=["terraform.tfvars"])
