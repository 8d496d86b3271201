"""The one adapter over python-terraform 0.10.1.

python-terraform builds Terraform command lines from keyword options; its defaults predate
Terraform 0.15 and are broken there (see docs/operations.md, "Why the Terraform adapter"):
``apply()`` sends ``-input=false`` with ``-auto-approve=false``, ``destroy()`` sends the removed
``-force``, ``-state=`` and an empty ``-var-file`` go to every command including ``init``, plan's
exit code 2 ("changes present") is logged as an error, ``synchronous=False`` leaks into argv, it has
no context manager, and a missing binary is a bare ``FileNotFoundError``.

This adapter keeps the library's option-to-flag translation (``generate_cmd_string``) but chooses
every option itself, runs the command through invoke's ``Context.run`` (so output streams live and
``invoke --dry`` prints the command instead of running it) and turns failures into one sentence.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

from invoke import Context, Exit, Result
from python_terraform import IsFlagged
from python_terraform import Terraform as _LibraryTerraform

# terraform plan -detailed-exitcode: 0 = no changes, 1 = error, 2 = changes present.
PLAN_NO_CHANGES, PLAN_CHANGES = 0, 2


class Terraform(_LibraryTerraform):
    """Run Terraform in ``working_dir`` through an invoke context; use as a context manager."""

    def __init__(self, c: Context, working_dir: Path | str, binary: str = "terraform") -> None:
        self.c = c
        super().__init__(working_dir=str(working_dir), terraform_bin_path=binary)

    def __enter__(self) -> Terraform:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.temp_var_files.clean_up()

    # -- command lines (pure apart from temporary var files) ------------------------------------

    def argv(self, command: str, *args: str, **options: object) -> list[str]:
        """The exact argv: ``terraform -chdir=DIR COMMAND [options] [args]``."""
        line = self.generate_cmd_string(command, *args, **options)
        return [line[0], f"-chdir={self.working_dir}", *line[1:]]

    def init_argv(self, backend_config: dict[str, str] | None = None) -> list[str]:
        return self.argv("init", input=False, reconfigure=IsFlagged, backend_config=backend_config or None)

    def plan_argv(self, out: str, variables: dict[str, object] | None = None, destroy: bool = False) -> list[str]:
        return self.argv(
            "plan",
            input=False,
            detailed_exitcode=IsFlagged,
            out=out,
            destroy=IsFlagged if destroy else None,
            var=variables or None,
        )

    def apply_argv(self, plan_file: str | None = None) -> list[str]:
        # A saved plan is the approval; without one the caller asked for -auto-approve.
        if plan_file:
            return self.argv("apply", plan_file, input=False)
        return self.argv("apply", input=False, auto_approve=IsFlagged)

    def destroy_argv(self, auto_approve: bool = False) -> list[str]:
        # Without -auto-approve Terraform asks "yes" itself, so input must stay on.
        if auto_approve:
            return self.argv("destroy", input=False, auto_approve=IsFlagged)
        return self.argv("destroy")

    def output_argv(self) -> list[str]:
        return self.argv("output", json=IsFlagged)

    # -- running ----------------------------------------------------------------------------------

    def _run(self, argv: list[str], ok: tuple[int, ...] = (0,), **run_options: object) -> Result:
        dry = bool(self.c.config.run.dry)
        if not dry and shutil.which(self.terraform_bin_path) is None:
            raise Exit(
                f"{self.terraform_bin_path} is not on PATH: install Terraform 1.9 or newer "
                "(https://developer.hashicorp.com/terraform/install), then run `invoke doctor`."
            )
        try:
            result = self.c.run(shlex.join(argv), warn=True, **run_options)
        finally:
            self.temp_var_files.clean_up()
        if result.exited not in ok:
            raise Exit(
                f"`terraform {argv[2]}` failed in {self.working_dir} (exit code {result.exited}); "
                "Terraform's own message is above."
            )
        return result

    def init(self, backend_config: dict[str, str] | None = None) -> None:
        self._run(self.init_argv(backend_config))

    def plan(self, out: str, variables: dict[str, object] | None = None, destroy: bool = False) -> bool:
        """Save a plan to ``out``; True when it contains changes."""
        result = self._run(self.plan_argv(out, variables, destroy), ok=(PLAN_NO_CHANGES, PLAN_CHANGES))
        return result.exited == PLAN_CHANGES

    def apply(self, plan_file: str | None = None) -> None:
        self._run(self.apply_argv(plan_file))

    def destroy(self, auto_approve: bool = False) -> None:
        self._run(self.destroy_argv(auto_approve), pty=not auto_approve)

    def output(self) -> dict[str, object]:
        """The root module's outputs as ``{name: value}`` (empty under ``--dry``)."""
        result = self._run(self.output_argv(), hide="stdout")
        return parse_outputs(result.stdout)


def parse_outputs(text: str) -> dict[str, object]:
    """``terraform output -json`` → ``{name: value}``; empty text (a dry run) → ``{}``."""
    if not text.strip():
        return {}
    return {name: entry["value"] for name, entry in json.loads(text).items()}
