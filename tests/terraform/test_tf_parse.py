"""Every Terraform file of every bake parses, and `terraform fmt` finds nothing to change."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from bakery import render
from conftest import BAKE_IDS, figure, terraform_dir
from hcl import parse_file


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_every_terraform_file_parses(bake_id):
    files = sorted(terraform_dir(bake_id).rglob("*.tf")) + sorted(terraform_dir(bake_id).rglob("*.tfvars"))
    assert files, f"{bake_id}: the bake has no Terraform files"
    errors = []
    for path in files:
        text = path.read_text()
        if "{{" in text or "{%" in text:
            errors.append(f"{path}: unrendered Jinja")
            continue
        try:
            parse_file(path)  # Parsed (once per distinct text) and every value serialised.
        except Exception as error:  # python-hcl2 raises lark errors of many kinds
            errors.append(f"{path}: {type(error).__name__}: {str(error).splitlines()[0]}")
    assert not errors, "\n".join(errors)


def test_terraform_fmt_is_clean(tmp_path):
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on PATH: `terraform fmt -check` not run (python-hcl2 parsing still ran)")
    config = tmp_path / "terraformrc"
    config.write_text("")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config)}
    targets = [str(terraform_dir(bake_id)) for bake_id in BAKE_IDS]
    started = time.monotonic()
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-list=true", *targets],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    figure(f"timing: terraform fmt over {len(targets)} bakes, {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


def _tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_terraform_reads_only_the_terraform_answers():
    """The matrix is projected onto TERRAFORM_ANSWERS; answers outside it must not touch terraform/."""
    plain = render()
    varied = render(
        python_version="3.13",
        open_source_license="Not open source",
        description="Another one.",
        author_name="Someone Else",
        author_email="someone@example.org",
    )
    assert _tree(plain / "terraform") == _tree(varied / "terraform")
