"""The Kubernetes version menu is inside EKS standard support on the template's date, and every
version on it has its dated support end and pinned add-on versions in modules/eks."""

from __future__ import annotations

import ast
import json
from datetime import date

import hcl2
from bakery import TEMPLATE_DIR
from conftest import terraform_dir
from hcl import OPTIONS

# The template's release date: every version it offers must still be in standard support then.
TEMPLATE_DATE = date(2026, 11, 29)
MENU = ["1.35", "1.36", "1.34"]
# End of EKS standard support (EKS release calendar; 1.36 from EKS's 2026-06-02 release + 14 months).
STANDARD_SUPPORT_ENDS = {"1.34": "2026-12-02", "1.35": "2027-03-27", "1.36": "2027-08-02"}
PINNED_ADDONS = {"vpc-cni", "kube-proxy", "coredns"}


def _tables() -> dict:
    text = (terraform_dir("default") / "modules" / "eks" / "versions_table.tf").read_text()
    (locals_block,) = hcl2.loads(text, serialization_options=OPTIONS)["locals"]
    return locals_block


def _hook_menu() -> list[str]:
    tree = ast.parse((TEMPLATE_DIR / "hooks" / "pre_gen_project.py").read_text())
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "KUBERNETES_VERSIONS" for t in node.targets)
    ]
    return list(ast.literal_eval(value))


def test_menu_answers_and_hook_agree():
    assert json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["kubernetes_version"] == MENU
    assert _hook_menu() == MENU


def test_every_offered_version_is_in_standard_support_on_the_template_date():
    for version in MENU:
        assert date.fromisoformat(STANDARD_SUPPORT_ENDS[version]) > TEMPLATE_DATE, version
    default = MENU[0]
    assert (date.fromisoformat(STANDARD_SUPPORT_ENDS[default]) - TEMPLATE_DATE).days >= 90, (
        "the default version should have a season of standard support left"
    )


def test_the_eks_module_carries_the_dated_tables_for_every_offered_version():
    tables = _tables()
    assert tables["standard_support_ends"] == STANDARD_SUPPORT_ENDS
    for version in MENU:
        assert set(tables["addon_versions"][version]) == PINNED_ADDONS, version
        kube_proxy = tables["addon_versions"][version]["kube-proxy"]
        assert kube_proxy.startswith(f"v{version}."), f"kube-proxy {kube_proxy} does not match Kubernetes {version}"
