"""The one door every external effect goes through, so that `invoke --dry TASK` tells the truth.

A task reads what it needs (git, Terraform state, the Kubernetes API, kustomize) the same way in a
real and a dry run, and sends every change — a command that changes something, an AWS call, a
Kubernetes request, a file it writes, a wait for something it started — through ``Effects``. Each
change is printed as it happens (``» kube: PATCH …``); under ``--dry`` the same line is printed
with ``(dry run)`` and the change is not made. Where a later step depends on a change's result
(did the plan have changes, did the rollout finish), a dry run takes the outcome that lets the task
go on, so it lists the effects of a run in which every step succeeds. The tests compare the lines of
a dry run with those of a real run against the fakes.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

from invoke import Context, Exit, Result

T = TypeVar("T")
MARK = "» "
DRY = "(dry run) "


class Effects:
    """Performs (or, under --dry, only lists) the changes a task makes, printing each as it goes.

    The lines go to ``lines`` (default: stdout); a task whose stdout is its answer sends them to stderr.
    """

    def __init__(self, c: Context, lines: TextIO | None = None) -> None:
        self.c = c
        self.dry = bool(c.config.run.dry)
        self.lines = lines

    def need(self, tool: str, how: str, for_reads: bool = False) -> None:
        """Stop with one sentence when ``tool`` is not on PATH (under --dry only if it reads with it)."""
        if (for_reads or not self.dry) and shutil.which(tool) is None:
            raise Exit(f"{tool} is not on PATH: {how}, then run `invoke doctor`.")

    def change(self, kind: str, what: str, perform: Callable[[], T], assume: T) -> T:
        """Print ``» kind: what``; perform it, or under --dry return ``assume`` instead.

        ``kind`` is one of run, aws, kube, write, wait.
        """
        print(f"{MARK}{DRY if self.dry else ''}{kind}: {what}", file=self.lines, flush=True)
        return assume if self.dry else perform()

    def run(self, argv: list[str], assume_exit: int = 0, **options: object) -> int:
        """A command that changes something; its exit code (under --dry: ``assume_exit``)."""
        return self.change(
            "run",
            shlex.join(argv),
            lambda: self.c.run(shlex.join(argv), warn=True, echo=False, **options).exited,
            assume_exit,
        )

    def read(self, argv: list[str], **options: object) -> Result:
        """A command that changes nothing (git, kustomize, cosign verify): it runs under --dry too."""
        return self.c.run(shlex.join(argv), warn=True, echo=False, hide=True, dry=False, **options)

    def write(self, path: Path, text: str, shown: str | None = None) -> None:
        """Write a file (its parent made if needed); ``shown`` is how the path is printed."""

        def perform() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

        self.change("write", shown or str(path), perform, None)

    def wait(self, what: str, perform: Callable[[], T], assume: T) -> T:
        """Wait for something a change started; under --dry the wait is assumed to succeed."""
        return self.change("wait", what, perform, assume)
