"""Read a parsed workflow the way the runner runs it: env merged and expanded, `run:` scripts split
into commands, `needs` followed to the end, the AWS role a job assumes."""

from __future__ import annotations

import re
import shlex

from bakery import OPTIONS

REFERENCE = re.compile(r"\$\{\{ (env|matrix)\.([\w-]+) \}\}")
SHELL_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
# Tasks that talk to the Kubernetes API of the environment they are given.
CLUSTER_TASKS = {"deploy", "rollback", "cluster.setup", "db.migrate", "status", "logs"}
RUNNER_IDS = "${{ github.run_id }}-${{ github.run_attempt }}"
CREDENTIALS = "aws-actions/configure-aws-credentials@"


def answer(bake, option: str) -> str:
    default = OPTIONS[option]
    return bake.answers.get(option, default[0] if isinstance(default, list) else default)


def accounts(bake) -> dict[str, str]:
    """Each environment's AWS account: production's answer defaults to staging's (one shared account)."""
    staging = answer(bake, "aws_account_id")
    return {"staging": staging, "production": bake.answers.get("production_aws_account_id") or staging}


def matrix_entries(job: dict) -> list[dict]:
    """The matrix `include` entries of a job (one empty entry for a job without a matrix)."""
    return list(((job.get("strategy") or {}).get("matrix") or {}).get("include") or [{}])


def expand(value: str, env: dict[str, str], matrix: dict) -> str:
    """`${{ env.X }}` and `${{ matrix.X }}` replaced by their values, as the runner does."""

    def value_of(match: re.Match) -> str:
        context, name = match.groups()
        source = env if context == "env" else matrix
        return str(source[name]) if name in source else match.group(0)

    previous = None
    while previous != value:
        previous, value = value, REFERENCE.sub(value_of, value)
    return value


def environment(workflow: dict, job: dict, step: dict | None = None, matrix: dict | None = None) -> dict[str, str]:
    """The env a step sees: the workflow's, then the job's, then the step's, each expanded."""
    matrix = matrix or {}
    merged: dict[str, str] = {}
    for layer in (workflow.get("env"), job.get("env"), (step or {}).get("env")):
        for name, value in (layer or {}).items():
            merged[name] = expand(str(value), merged, matrix)
    return merged


def commands(step: dict, env: dict[str, str]) -> list[list[str]]:
    """Each command of a `run:` script as argv, with every `$VAR` that `env` defines replaced."""
    script = step.get("run", "").replace("\\\n", " ")
    result = []
    for line in script.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:  # a line of a multi-line shell construct; not a command on its own
            continue
        result.append([_substitute(word, env) for word in words])
    return result


def _substitute(word: str, env: dict[str, str]) -> str:
    def value_of(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, match.group(0))

    return SHELL_VARIABLE.sub(value_of, word)


def invocations(workflow: dict, job: dict, matrix: dict | None = None):
    """(step index, step, argv) for every command of every step of a job."""
    for index, step in enumerate(job.get("steps", [])):
        env = environment(workflow, job, step, matrix)
        for argv in commands(step, env):
            yield index, step, argv


def option(argv: list[str], flag: str) -> str | None:
    """The value after `flag` in argv (None when absent)."""
    return argv[argv.index(flag) + 1] if flag in argv else None


def reaches_cluster(argv: list[str]) -> bool:
    return argv[:1] == ["invoke"] and len(argv) > 1 and argv[1] in CLUSTER_TASKS


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def all_needs(jobs: dict, job_id: str) -> set[str]:
    """Every job `job_id` waits for, directly or through the jobs it needs."""
    found: set[str] = set()
    pending = needs(jobs[job_id])
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(needs(jobs[current]))
    return found


def credentials_step(job: dict) -> dict | None:
    steps = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(CREDENTIALS)]
    assert len(steps) <= 1, "a job assumes one AWS role"
    return steps[0] if steps else None


def role_and_account(workflow: dict, job: dict, matrix: dict | None = None) -> tuple[str, str]:
    """(role ARN, allowed account id) of the job's configure-aws-credentials step."""
    step = credentials_step(job)
    env = environment(workflow, job, step, matrix)
    arguments = step["with"]
    return expand(arguments["role-to-assume"], env, matrix or {}), expand(
        str(arguments["allowed-account-ids"]), env, matrix or {}
    )
