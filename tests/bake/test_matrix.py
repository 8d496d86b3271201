"""Every bake of the all-pairs matrix (and the named combos): renders cleanly, every file parses and lints."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from bakery import NAMED_COMBOS, TEMPLATE_DIR, all_pairs, combo_id, pairs_covered, render, tool
from jinja2 import Environment

from hooks import post_gen

MATRIX = all_pairs()
COMBOS = MATRIX + [combo for name, combo in NAMED_COMBOS.items() if name != "default"]
UNRENDERED = re.compile(r"\{%|%\}|\{\{\s*cookiecutter|(?<!\$)\{\{")
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"

print(f"all-pairs matrix: {len(MATRIX)} combinations cover {pairs_covered(MATRIX)} option-value pairs")


def files_of(project: Path) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file())


def test_the_matrix_covers_every_pair_of_choice_values():
    from bakery import CHOICE_OPTIONS

    sizes = [len(values) for values in CHOICE_OPTIONS.values()]
    every_pair = sum(a * b for i, a in enumerate(sizes) for b in sizes[i + 1 :])
    assert pairs_covered(MATRIX) == every_pair
    assert len(MATRIX) < every_pair  # Pairwise, not the full product.


@pytest.fixture(params=COMBOS, ids=combo_id)
def project(request) -> Path:
    return render(**request.param)


def test_nothing_is_left_unrendered(project):
    leftovers = []
    for path in files_of(project):
        text = path.read_text(errors="replace")
        leftovers += [
            f"{path.relative_to(project)}:{text.count(chr(10), 0, m.start()) + 1}" for m in UNRENDERED.finditer(text)
        ]
    assert "{" not in "".join(p.name for p in project.rglob("*"))
    assert leftovers == []


def test_every_structured_file_parses(project):
    parsers = {
        ".json": json.loads,
        ".toml": tomllib.loads,
        ".yml": lambda text: list(yaml.safe_load_all(text)),
        ".yaml": lambda text: list(yaml.safe_load_all(text)),
    }
    for path in files_of(project):
        if parse := parsers.get(path.suffix):
            try:
                parse(path.read_text())
            except Exception as error:
                pytest.fail(f"{path.relative_to(project)} does not parse: {error}")


def test_every_python_file_compiles_and_is_ruff_clean(project):
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    for command in ([tool("ruff"), "check", "--no-cache", "."], [tool("ruff"), "format", "--check", "--no-cache", "."]):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def expected_files(context: dict[str, str]) -> set[str]:
    """The template's files with rendered names, less what the prune table removes for these answers."""
    names = Environment()
    expected = set()
    for path in files_of(PROJECT_TEMPLATE):
        parts = [
            names.from_string(part).render(cookiecutter=context) for part in path.relative_to(PROJECT_TEMPLATE).parts
        ]
        if all(parts):
            expected.add("/".join(parts))
    pruned = post_gen.paths_to_prune(context)
    return {name for name in expected if not any(name == p or name.startswith(p + "/") for p in pruned)}


def test_the_prune_table_leaves_exactly_the_expected_files(project):
    answers = json.loads((project / ".cookiecutter.json").read_text())
    generated = {str(path.relative_to(project)) for path in files_of(project)}
    assert generated == expected_files(answers)
