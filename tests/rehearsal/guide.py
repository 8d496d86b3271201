"""Read the steps a person follows out of the generated guides, in the order they are written.

`.github/SETUP.md` is numbered `## N. Title` sections, each with a `**Who:**` line and its commands
in ```console blocks (`$ ` prompts, `\\` continuations). The README's `## Day 2` has the same kind of
block. Nothing here knows what a command does: that is the walk's job.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

SECTION = re.compile(r"^## (\d+)\. (.+)$", re.MULTILINE)
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
WHO = re.compile(r"^\*\*Who:\*\* (.+?)(?:\n\n|\Z)", re.MULTILINE | re.DOTALL)


@dataclass
class Step:
    number: int
    title: str
    who: str
    commands: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"step {self.number} ({self.title})"


def console_commands(text: str) -> list[str]:
    """The `$ ` lines of every ```console block, continuations joined."""
    commands = []
    for block in CONSOLE.findall(text):
        lines = block.replace("\\\n", " ").splitlines()
        commands += [line[2:].strip() for line in lines if line.startswith("$ ")]
    return commands


def setup_steps(project: Path) -> list[Step]:
    text = (project / ".github" / "SETUP.md").read_text()
    heads = list(SECTION.finditer(text))
    assert heads, ".github/SETUP.md has no numbered `## N. Title` steps"
    steps = []
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : following.start() if following else len(text)]
        who = WHO.search(body)
        assert who, f"SETUP.md step {head.group(1)} ({head.group(2)}) does not say who runs it (**Who:** …)"
        steps.append(Step(int(head.group(1)), head.group(2), " ".join(who.group(1).split()), console_commands(body)))
    return steps


def readme_section(project: Path, title: str) -> str:
    text = (project / "README.md").read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"the generated README has no `## {title}` section"
    return match.group(1)


def argv(command: str) -> list[str]:
    return shlex.split(command)
