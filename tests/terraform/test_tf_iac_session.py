"""The generated project's `nox -s iac` runs over the Terraform roots that really exist."""

from __future__ import annotations

import ast

from conftest import terraform_dir


def test_iac_session_covers_every_terraform_root():
    project = terraform_dir("default").parent
    tree = ast.parse((project / "noxfile.py").read_text())
    sessions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.decorator_list}
    assert "iac" in sessions, "the generated noxfile has no iac session"
    (roots,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "TERRAFORM_ROOTS" for t in node.targets)
    ]
    on_disk = {str(path.parent.relative_to(project)) for path in (project / "terraform").glob("*/**/backend.tf")}
    on_disk |= {"terraform/bootstrap"}
    assert set(roots) == on_disk, f"iac session roots {sorted(roots)} vs Terraform roots {sorted(on_disk)}"
