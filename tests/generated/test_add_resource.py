"""The README's "Add a resource" guide, followed literally in a copy of the default project.

Its marked blocks are applied as written (a new file, or an edit given as a diff), its commands run
in the project's own locked venv, and then: the migration Alembic wrote creates the table, the
document describes the new operations with the shared rules (token, validation, errors), the
development database serves it, and the guide's tests pass (the resource's, the snapshot's, the
models-match-migrations check) on PostgreSQL when TEST_DATABASE_URL is set. The guide's own line
count is checked against what it claims.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from bakery import render, tool
from interpreters import find_python

MARKER = re.compile(r"<!-- add-resource: (?P<what>[^>]+?) -->\n```\w*\n(?P<block>.*?)```\n", re.DOTALL)
# nox's uv sessions point these at the session's own venv; here they would redirect uv away from the project.
SESSION_VARIABLES = ("VIRTUAL_ENV", "UV_PYTHON", "UV_PROJECT_ENVIRONMENT")


def guide_steps(readme: str) -> list[tuple[str, str]]:
    """(what, block) for each marked block of the guide, in order."""
    section = readme.split("## Add a resource\n", 1)[1].split("\n## ", 1)[0]
    return [(match["what"], match["block"]) for match in MARKER.finditer(section)]


def apply_diff(text: str, diff: str) -> str:
    """Apply a diff of hunks separated by `@@` lines: each hunk's old lines must occur exactly once."""
    for hunk in re.split(r"(?m)^@@.*\n", diff):
        lines = hunk.splitlines()
        old = "".join(line[1:] + "\n" for line in lines if line[:1] in (" ", "-"))
        new = "".join(line[1:] + "\n" for line in lines if line[:1] in (" ", "+"))
        assert text.count(old) == 1, f"the guide's diff no longer matches the project:\n{old}"
        text = text.replace(old, new)
    return text


def written_lines(steps: list[tuple[str, str]]) -> tuple[int, int]:
    """(files, non-blank lines) a person writes: new files in full, and the added lines of diffs."""
    files = lines = 0
    for what, block in steps:
        if what == "run":
            continue
        files += 1
        if what.startswith("edit "):
            lines += sum(1 for line in block.splitlines() if line.startswith("+"))
        else:
            lines += sum(1 for line in block.splitlines() if line.strip())
    return files, lines


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the default project, with its locked dependencies installed in .venv."""
    project = tmp_path_factory.mktemp("add-resource") / "project"
    shutil.copytree(render(), project, ignore=shutil.ignore_patterns(".venv", "instance"))
    env = {name: value for name, value in os.environ.items() if name not in SESSION_VARIABLES}
    python = find_python((project / ".python-version").read_text().strip()).path
    synced = subprocess.run(
        [tool("uv"), "sync", "--locked", "--extra", "dev", "--python", python],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert synced.returncode == 0, synced.stderr
    return project


def test_the_guide_counts_what_it_claims() -> None:
    readme = (Path(render()) / "README.md").read_text()
    files, lines = written_lines(guide_steps(readme))
    assert f"That is {files} files and {lines} non-blank lines written by hand" in readme
    assert (files, lines) <= (4, 60)


def test_following_the_guide_adds_a_validated_documented_migrated_resource(project: Path) -> None:
    readme = (project / "README.md").read_text()
    steps = guide_steps(readme)
    assert [what for what, _ in steps][-1] == "run", "the guide should end with the commands to run"
    env = {name: value for name, value in os.environ.items() if name not in SESSION_VARIABLES}
    env |= {"PATH": f"{project / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"}
    for what, block in steps:
        if what == "run":
            ran = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block], cwd=project, env=env, capture_output=True, text=True
            )
            assert ran.returncode == 0, f"{block}\n{ran.stdout[-4000:]}\n{ran.stderr[-4000:]}"
        elif what.startswith("edit "):
            path = project / what.removeprefix("edit ")
            path.write_text(apply_diff(path.read_text(), block))
        else:
            assert not (project / what).exists(), f"the guide's {what} would overwrite a file"
            (project / what).write_text(block)

    migrations = [path.read_text() for path in (project / "migrations" / "versions").glob("*_create_orders.py")]
    assert len(migrations) == 1
    assert 'op.create_table(\n        "orders"' in migrations[0]
    assert "sa.ForeignKeyConstraint" in migrations[0]

    document = json.loads((project / "openapi.json").read_text())
    create = document["paths"]["/api/v1/orders"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert {"201", "400", "401", "413", "415", "422"} <= set(create["responses"])
    schema = document["components"]["schemas"]["OrderCreate"]
    assert (schema["additionalProperties"], schema["properties"]["quantity"]["maximum"]) == (False, 1000)
    assert "404" in document["paths"]["/api/v1/orders/{order_id}"]["get"]["responses"]

    # The development database has the new table too: a missing order is 404, not an error for the table.
    package = next(path.parent.name for path in (project / "src").glob("*/wsgi.py"))
    request = f"import {package}; print({package}.create_app().test_client().get('/api/v1/orders/1').status)"
    served = subprocess.run(
        ["python", "-c", request],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert served.stdout.splitlines()[-1:] == ["404 NOT FOUND"], served.stdout[-2000:] + served.stderr[-2000:]

    for check in (["ruff", "check"], ["ruff", "format", "--check"]):
        linted = subprocess.run([*check, "."], cwd=project, env=env, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout
