"""The Kubernetes version menu is inside EKS standard support on the template's date, and every
version on it has its dated support end and pinned add-on versions in modules/eks."""

from __future__ import annotations

import ast
import json
import re
from datetime import date

import hcl2
from bakery import TEMPLATE_DIR
from conftest import terraform_dir
from hcl import OPTIONS

# The template's release date: every version it offers must have a season of standard support left then.
TEMPLATE_DATE = date(2026, 11, 29)
MIN_SUPPORT_DAYS = 90
MENU = ["1.35", "1.36"]
# End of EKS standard support (EKS release calendar; 1.36 from EKS's 2026-06-02 release + 14 months).
STANDARD_SUPPORT_ENDS = {"1.34": "2026-12-02", "1.35": "2027-03-27", "1.36": "2027-08-02"}
PINNED_ADDONS = {"vpc-cni", "kube-proxy", "coredns"}


def _table_text() -> str:
    return (terraform_dir("default") / "modules" / "eks" / "versions_table.tf").read_text()


def _tables() -> dict:
    (locals_block,) = hcl2.loads(_table_text(), serialization_options=OPTIONS)["locals"]
    return locals_block


def _table_date() -> date:
    """The date the tables say they were checked against (their header comment)."""
    (dated,) = re.findall(r"release date \((\d{4}-\d{2}-\d{2})\)", _table_text())
    return date.fromisoformat(dated)


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


def test_the_tables_are_dated_on_the_template_date():
    assert _table_date() == TEMPLATE_DATE


def short_lived(versions: list[str], ends: dict[str, str], dated: date) -> dict[str, str]:
    """The versions whose standard support ends within MIN_SUPPORT_DAYS of the date, with that end."""
    return {v: ends[v] for v in versions if (date.fromisoformat(ends[v]) - dated).days < MIN_SUPPORT_DAYS}


def test_every_offered_version_has_90_days_of_standard_support_left():
    short = short_lived(MENU, _tables()["standard_support_ends"], _table_date())
    assert not short, (
        f"versions on the menu whose EKS standard support ends within {MIN_SUPPORT_DAYS} days of "
        f"{_table_date()}: {short}; drop them from cookiecutter.json and the hook"
    )


def test_the_support_check_catches_1_34():
    """1.34's standard support ends 2026-12-02, 3 days after the template's date: it may not be offered."""
    ends = _tables()["standard_support_ends"]
    assert short_lived(["1.34", "1.35", "1.36"], ends, TEMPLATE_DATE) == {"1.34": "2026-12-02"}


def test_the_eks_module_carries_the_dated_tables_for_every_offered_version():
    tables = _tables()
    assert tables["standard_support_ends"] == STANDARD_SUPPORT_ENDS
    for version in MENU:
        assert set(tables["addon_versions"][version]) == PINNED_ADDONS, version
        kube_proxy = tables["addon_versions"][version]["kube-proxy"]
        assert kube_proxy.startswith(f"v{version}."), f"kube-proxy {kube_proxy} does not match Kubernetes {version}"
