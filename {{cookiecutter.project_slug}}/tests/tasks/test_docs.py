"""docs/operations.md and the README match the tasks: every task is documented, every documented command exists."""

import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT
from test_cli import TASKS

import tasks

GUIDE = ROOT / "docs" / "operations.md"
README = ROOT / "README.md"
GLOBAL_FLAGS = {"--dry", "--list", "--help"}


def documented_commands(path: Path = GUIDE) -> list[str]:
    text = path.read_text()
    return [m.strip() for m in re.findall(r"(?m)(?:`|^\s*)(invoke [^`\n#]+)", text)]


def check(command: str) -> None:
    """Each task name in the line exists and each --flag after it is one of its arguments."""
    current = None
    for token in shlex.split(command.replace("[", " ").replace("]", " "))[1:]:
        if token.startswith("--"):
            flag = token.split("=")[0]
            if flag in GLOBAL_FLAGS:
                continue
            assert current is not None, f"{command}: {flag} before any task"
            assert flag[2:].replace("-", "_") in tasks.ns[current].help, f"{command}: {current} has no {flag}"
        elif token in TASKS:
            current = token
        elif current is None and not token.isupper():  # TASK, E: placeholders
            pytest.fail(f"{command}: {token} is not a task")


@pytest.fixture(scope="module")
def commands():
    if not GUIDE.exists():
        pytest.skip("docs/operations.md is not in this project")
    return documented_commands()


def test_every_task_is_in_the_guide(commands):
    mentioned = {token for command in commands for token in command.split() if token in TASKS}
    assert mentioned == TASKS


def test_every_documented_command_exists(commands):
    assert len(commands) > 20
    for command in commands:
        check(command)


@pytest.mark.parametrize(
    "bad", ["invoke deploy --env staging --tag x", "invoke deploi --env staging", "invoke rollback --to 3"]
)
def test_the_check_catches_mistakes(bad):
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check(bad)


def test_every_command_of_the_readme_exists():
    commands = documented_commands(README)
    assert len(commands) >= 10, "the README's Day 1 / Day 2 section lost its commands"
    for command in commands:
        check(command)
