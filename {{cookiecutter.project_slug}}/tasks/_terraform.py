"""The one adapter over python-terraform 0.10.1, and what the tasks read from plan files.

python-terraform builds Terraform command lines from keyword options; its defaults predate
Terraform 0.15 and are broken there (see docs/operations.md, "Why the Terraform adapter"):
``apply()`` sends ``-input=false`` with ``-auto-approve=false``, ``destroy()`` sends the removed
``-force``, ``-state=`` and an empty ``-var-file`` go to every command including ``init``, plan's
exit code 2 ("changes present") is logged as an error, ``synchronous=False`` leaks into argv, it has
no context manager, and a missing binary is a bare ``FileNotFoundError``.

This adapter keeps the library's option-to-flag translation (``generate_cmd_string``) but chooses
every option itself, runs each command through ``Effects`` (output streams live; ``invoke --dry``
lists the command instead of running it) and turns failures into one sentence. Variables are
passed as ``-var`` flags, never as temporary var files, so a command line is the same in a real and
a dry run.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from invoke import Exit
from python_terraform import IsFlagged
from python_terraform import Terraform as _LibraryTerraform

from .effects import Effects

# terraform plan -detailed-exitcode: 0 = no changes, 1 = error, 2 = changes present.
PLAN_NO_CHANGES, PLAN_CHANGES = 0, 2
INSTALL = (
    "install Terraform 1.10 or newer (https://developer.hashicorp.com/terraform/install), then run `invoke doctor`"
)


class Terraform(_LibraryTerraform):
    """Run Terraform in ``working_dir`` through ``Effects``; ``lock_timeout`` waits for a held state lock."""

    def __init__(self, fx: Effects, working_dir: Path | str, lock_timeout: str = "5m", binary: str = "terraform"):
        self.fx, self.lock_timeout = fx, lock_timeout
        super().__init__(working_dir=str(working_dir), terraform_bin_path=binary)

    # -- command lines (pure) ---------------------------------------------------------------------

    def argv(self, command: str, *args: str, **options: object) -> list[str]:
        """The exact argv: ``terraform -chdir=DIR COMMAND [options] [args]``."""
        line = self.generate_cmd_string(command, *args, **options)
        return [line[0], f"-chdir={self.working_dir}", *line[1:]]

    def init_argv(self, backend_config: dict[str, str] | None = None) -> list[str]:
        return self.argv("init", input=False, reconfigure=IsFlagged, backend_config=backend_config or None)

    def plan_argv(
        self,
        out: str,
        variables: dict[str, str] | None = None,
        destroy: bool = False,
        lock: bool = True,
        var_file: str | None = None,
        targets: list[str] | None = None,
    ) -> list[str]:
        # A read-only identity (the plan role, the drift check) cannot write the lock object: -lock=false.
        return self.argv(
            "plan",
            input=False,
            detailed_exitcode=IsFlagged,
            lock=None if lock else False,
            lock_timeout=self.lock_timeout if lock else None,
            out=out,
            destroy=IsFlagged if destroy else None,
            var_file=var_file,
            var=[f"{name}={value}" for name, value in (variables or {}).items()] or None,
            target=targets or None,
        )

    def workspace_argv(self, name: str) -> list[str]:
        return self.argv("workspace select", name, or_create=IsFlagged)

    def show_argv(self, plan_file: str) -> list[str]:
        return self.argv("show", plan_file, json=IsFlagged)

    def output_argv(self, name: str) -> list[str]:
        return self.argv("output", name, json=IsFlagged)

    def apply_argv(self, plan_file: str) -> list[str]:
        # A saved plan is the approval: Terraform applies exactly it and asks nothing.
        return self.argv("apply", plan_file, input=False, lock_timeout=self.lock_timeout)

    # -- running ----------------------------------------------------------------------------------

    def _run(self, argv: list[str], ok: tuple[int, ...] = (0,), assume_exit: int = 0) -> int:
        if not self.fx.dry and shutil.which(self.terraform_bin_path) is None:
            raise Exit(f"{self.terraform_bin_path} is not on PATH: {INSTALL}.")
        out = next((a.removeprefix("-out=") for a in argv if a.startswith("-out=")), None)
        if out and not self.fx.dry:
            Path(out).parent.mkdir(parents=True, exist_ok=True)  # part of the plan's own effect
        exited = self.fx.run(argv, assume_exit=assume_exit)
        if exited not in ok:
            raise Exit(
                f"`terraform {argv[2]}` failed in {self.working_dir} (exit code {exited}); "
                "Terraform's own message is above."
            )
        return exited

    def init(self, backend_config: dict[str, str] | None = None) -> None:
        self._run(self.init_argv(backend_config))

    def plan(
        self,
        out: str,
        variables: dict[str, str] | None = None,
        destroy: bool = False,
        lock: bool = True,
        var_file: str | None = None,
        targets: list[str] | None = None,
    ) -> bool:
        """Save a plan to ``out``; True when it contains changes (a dry run assumes it does)."""
        argv = self.plan_argv(out, variables, destroy, lock, var_file, targets)
        return self._run(argv, ok=(PLAN_NO_CHANGES, PLAN_CHANGES), assume_exit=PLAN_CHANGES) == PLAN_CHANGES

    def apply(self, plan_file: str) -> None:
        self._run(self.apply_argv(plan_file))

    def read_json(self, argv: list[str]) -> object:
        """What a reading command (``show -json``, ``output -json``) prints, parsed; it runs under --dry too."""
        if shutil.which(self.terraform_bin_path) is None:
            raise Exit(f"{self.terraform_bin_path} is not on PATH: {INSTALL}.")
        result = self.fx.read(argv)
        try:
            return json.loads(result.stdout)
        except ValueError:
            raise Exit(
                f"`terraform {argv[2]}` in {self.working_dir} printed no JSON (exit code {result.exited}): "
                f"{result.stderr.strip() or 'no message'}"
            ) from None

    def show(self, plan_file: str) -> dict:
        """A saved plan in Terraform's JSON format (``resource_changes`` lists what it does)."""
        plan = self.read_json(self.show_argv(plan_file))
        return plan if isinstance(plan, dict) else {}

    def output(self, name: str) -> object:
        """One root output's value, from the state the last apply wrote."""
        return self.read_json(self.output_argv(name))

    def workspace(self, name: str) -> None:
        """Select (or create) a workspace: its own state, here one per AWS account."""
        self._run(self.workspace_argv(name))


def plan_prior_state(plan_file: Path) -> tuple[str, int]:
    """(lineage, serial) of the state a saved plan was made against (``tfstate`` inside the plan's zip).

    A state that did not exist yet reads as ("", 0). Terraform refuses a plan whose prior state is not
    the current one ("Saved plan is stale"); the tasks check first, to say so in one sentence.
    """
    try:
        with zipfile.ZipFile(plan_file) as archive:
            state = json.loads(archive.read("tfstate"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        raise Exit(f"{plan_file} is not a Terraform plan file: make one with `invoke provision --plan-only`.") from None
    return str(state.get("lineage") or ""), int(state.get("serial") or 0)


def stale_plan(plan: tuple[str, int], current: dict | None) -> str | None:
    """Why a plan made against ``plan`` (lineage, serial) cannot be applied to ``current``, or None."""
    now = (str(current.get("lineage") or ""), int(current.get("serial") or 0)) if current else ("", 0)
    if plan == now:
        return None
    if plan[0] and now[0] and plan[0] != now[0]:
        return "it was made against a different state (another lineage)"
    return f"the state changed since (serial {plan[1]} then, {now[1]} now)"
