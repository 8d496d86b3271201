"""Run the generated project's own `terraform test` files, offline, with the real provider's schema.

The generated Terraform carries `.tftest.hcl` files (`mock_provider "aws"` + `run` blocks with
assertions) in `tests/` beside each root and each module that has them. Terraform needs the
hashicorp/aws provider binary to load its schema even when the provider is mocked. These machines
reach no registry but carry a filesystem mirror of an older major version; this module finds it,
copies a bake's `terraform/` into a scratch directory, relaxes the version constraint to the
mirror's version and rewrites the few spellings that only the pinned major version knows through
ONE table (`V6_SPELLINGS`), so a new 6.x-only use fails `terraform validate` loudly until it is
listed there. With no mirror, `terraform init` uses the registry as on a user's machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

# CI sets this (.ci/run) to turn every missing offline oracle (PostgreSQL, the provider mirror, the
# terraform binary) into a failure instead of a skip.
CI_FLAG = "REQUIRE_POSTGRES"
PROVIDER = "registry.terraform.io/hashicorp/aws"
# Where a filesystem mirror may sit: an explicit TF_PROVIDER_MIRROR, Terraform's own implicit mirror
# directories, and any directory directly under /opt (these machines keep theirs there).
MIRROR_ENV = "TF_PROVIDER_MIRROR"
IMPLICIT_MIRRORS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
ADAPTED_FILES = ("*.tf", "*.tftest.hcl", "*.tfmock.hcl")
PINNED_CONSTRAINT = re.compile(r'(version\s*=\s*)"~> 6\.\d+"')
COMMAND_TIMEOUT = 900
# What `terraform init` prints when it cannot reach the provider registry.
OFFLINE_HINTS = ("Failed to query available provider packages", "could not connect", "dial tcp", "no such host")


@dataclass(frozen=True)
class Spelling:
    """One construct that hashicorp/aws 6.x spells differently from 5.x, and its 5.x form."""

    why: str
    under: str  # the directory, relative to terraform/, whose .tf files it may appear in ("" = any)
    pattern: str  # a multiline regular expression
    replacement: str


# Applied only when the provider in use is older than 6.0. Every entry must still match somewhere
# (test_tf_plan checks), so the table never outlives the code it adapts.
V6_SPELLINGS = (
    Spelling(
        "data source aws_region: 6.x exports the region as `region`, 5.x as `name`",
        "",
        r"\bdata\.aws_region\.(\w+)\.region\b",
        r"data.aws_region.\1.name",
    ),
    Spelling(
        "mocked aws_region defaults (shared mocks and module tests): the attribute is `region` in 6.x, `name` in 5.x",
        "",
        r'^(\s*mock_data "aws_region" \{\s*defaults = \{\s*)region(\s*)=',
        r"\1name\2=",
    ),
    Spelling(
        "aws_eks_cluster: `deletion_protection` exists from 6.x on (the 5.x plan simply lacks the guard)",
        "modules/eks",
        r"^(\s*)deletion_protection(\s*)= (var\.\w+)$",
        r"\1# (5.x has no EKS deletion_protection) \3",
    ),
)


@dataclass
class Toolchain:
    terraform: str
    mirror: Path | None  # None: install from the registry
    provider_version: str | None  # the mirror's hashicorp/aws version

    @property
    def rewrites(self) -> bool:
        return self.provider_version is not None and int(self.provider_version.split(".")[0]) < 6


def required() -> bool:
    return os.environ.get(CI_FLAG) == "1"


def _platform(terraform: str) -> str:
    output = subprocess.run([terraform, "version", "-json"], capture_output=True, text=True, check=True).stdout
    return json.loads(output)["platform"]


def find_mirror(platform: str) -> tuple[Path, str] | None:
    """(mirror root, hashicorp/aws version) of the newest provider any candidate mirror holds."""
    explicit = os.environ.get(MIRROR_ENV)
    candidates = [Path(explicit)] if explicit else [Path(p).expanduser() for p in IMPLICIT_MIRRORS]
    if not explicit:
        candidates += sorted(Path("/opt").glob("*")) if Path("/opt").is_dir() else []
    found = []
    for root in candidates:
        for binary in root.glob(f"{PROVIDER}/*/{platform}/terraform-provider-aws*"):
            version = binary.parent.parent.name
            found.append((tuple(int(part) for part in version.split(".")), root, version))
    if not found:
        return None
    _, root, version = max(found)
    return root, version


def find_toolchain() -> Toolchain | str:
    """The terraform binary and provider source to use, or the reason there is none."""
    terraform = shutil.which("terraform")
    if terraform is None:
        return "terraform is not on PATH"
    mirror = find_mirror(_platform(terraform))
    if mirror is None:
        if required():
            return f"no filesystem mirror of {PROVIDER} found (set {MIRROR_ENV} to its root)"
        return Toolchain(terraform, None, None)
    return Toolchain(terraform, mirror[0], mirror[1])


def cli_config(toolchain: Toolchain) -> str:
    if toolchain.mirror is None:
        return ""
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{toolchain.mirror}"\n    include = ["{PROVIDER}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER}"]\n  }}\n'
        "}\n"
    )


def adapt(text: str, spellings: tuple[Spelling, ...], provider_version: str) -> tuple[str, dict[str, int]]:
    """The text with its ~> 6.x constraints set to the mirror's version and the spellings rewritten,
    and how often each spelling matched."""
    text = PINNED_CONSTRAINT.sub(rf'\1"= {provider_version}"', text)
    counts = {}
    for spelling in spellings:
        text, counts[spelling.why] = re.subn(spelling.pattern, spelling.replacement, text, flags=re.MULTILINE)
    return text, counts


def scratch_copy(terraform_dir: Path, scratch: Path, toolchain: Toolchain) -> dict[str, int]:
    """Copy terraform/ into scratch, adapted to the mirror's provider; how often each spelling matched."""
    shutil.copytree(terraform_dir, scratch, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    used = dict.fromkeys((spelling.why for spelling in V6_SPELLINGS), 0)
    if not toolchain.rewrites:
        return used
    for path in [path for pattern in ADAPTED_FILES for path in scratch.rglob(pattern)]:
        relative = path.relative_to(scratch)
        applicable = tuple(s for s in V6_SPELLINGS if not s.under or relative.is_relative_to(s.under))
        text, counts = adapt(path.read_text(), applicable, toolchain.provider_version)
        path.write_text(text)
        for why, count in counts.items():
            used[why] += count
    return used


@dataclass
class Step:
    command: list[str]
    returncode: int
    output: str
    seconds: float

    def __str__(self) -> str:
        return f"$ {' '.join(self.command)}  (exit {self.returncode}, {self.seconds:.0f}s)\n{self.output}"


@dataclass
class Outcome:
    """What init, validate and test printed for one directory (stops at the first failing step)."""

    directory: str
    steps: list[Step] = field(default_factory=list)
    planned_steps: int = 3

    @property
    def ok(self) -> bool:
        return (
            bool(self.steps)
            and all(step.returncode == 0 for step in self.steps)
            and len(self.steps) == self.planned_steps
        )

    @property
    def offline(self) -> bool:
        """init failed because no registry could be reached (only possible without a mirror)."""
        first = self.steps[0]
        return first.returncode != 0 and any(hint in first.output for hint in OFFLINE_HINTS)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def run_directory(toolchain: Toolchain, directory: Path, config_file: Path, validate: bool = True) -> Outcome:
    """`terraform init -backend=false`, `validate` (unless validate=False) and `test` in one directory.

    `terraform test` validates the configuration and its test files itself (with the providers the
    test files declare, which a module taking aliased providers needs), so the session's runs skip
    `validate`; the harness's own probe keeps it to see the error on its own.
    """
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config_file), "TF_IN_AUTOMATION": "1"}
    env.pop("TF_DATA_DIR", None)
    steps = (["init", "-backend=false", "-input=false"], *([["validate"]] if validate else []), ["test"])
    outcome = Outcome(str(directory), planned_steps=len(steps))
    for arguments in steps:
        command = [toolchain.terraform, f"-chdir={directory}", *arguments, "-no-color"]
        started = time.monotonic()
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=COMMAND_TIMEOUT, check=False
            )
            returncode, output = result.returncode, result.stdout + result.stderr
        except subprocess.TimeoutExpired as expired:
            returncode, output = -1, f"timed out after {COMMAND_TIMEOUT}s\n{expired.stdout or ''}"
        outcome.steps.append(Step(["terraform", *arguments], returncode, output, time.monotonic() - started))
        if returncode != 0:
            break
    return outcome


TEST_SUMMARY = re.compile(r"^Success! (\d+) passed, 0 failed\.", re.MULTILINE)


def passed_runs(outcome: Outcome) -> int:
    """How many run blocks `terraform test` reported as passed (0 when it failed)."""
    if not outcome.ok:
        return 0
    match = TEST_SUMMARY.search(outcome.steps[-1].output)
    return int(match.group(1)) if match else 0


def test_directories(terraform_root: Path) -> list[Path]:
    """Every directory under terraform/ whose tests/ holds .tftest.hcl files."""
    return sorted({path.parent.parent for path in terraform_root.glob("**/tests/*.tftest.hcl")})
