"""Which environments exist: the directories under terraform/environments/."""

from __future__ import annotations

import shutil
from pathlib import Path

from invoke import Context, Exit


def environments(environments_dir: Path) -> list[str]:
    """The environment names, sorted: one per directory under ``environments_dir``."""
    if not environments_dir.is_dir():
        return []
    return sorted(p.name for p in environments_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def check_env(name: str | None, environments_dir: Path) -> str:
    """Return ``name`` when it is an environment, else stop with one line listing the valid names."""
    valid = environments(environments_dir)
    if not valid:
        raise Exit(f"No environments found: {environments_dir} has no directories.")
    if name not in valid:
        shown = "(none given)" if not name else repr(name)
        raise Exit(f"--env {shown} is not an environment; choose one of: {', '.join(valid)}.")
    return name


def project_root(c: Context) -> Path:
    """The generated project's root directory (config ``project.root``)."""
    return Path(c.config.project.root)


def resolve_env(c: Context, name: str | None) -> str:
    """Check ``--env`` against ``terraform/environments/*`` of this project."""
    return check_env(name, project_root(c) / "terraform" / "environments")


def is_dry(c: Context) -> bool:
    """True under ``invoke --dry``: print what would change, change nothing."""
    return bool(c.config.run.dry)


def require_tool(c: Context, name: str, how: str, even_when_dry: bool = False) -> None:
    """Stop with one sentence when ``name`` is not on PATH (under --dry only if it runs even then)."""
    if (even_when_dry or not is_dry(c)) and shutil.which(name) is None:
        raise Exit(f"{name} is not on PATH: {how}, then run `invoke doctor`.")
