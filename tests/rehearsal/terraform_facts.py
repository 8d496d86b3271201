"""What the generated Terraform makes that a later step uses, read with python-hcl2.

Only names built from plain `${var.x}` / `${local.x}` templates are evaluated (the state bucket,
the runner's CodeBuild project); anything else stops the walk with the expression it could not read,
so a change in how a name is built shows up here instead of being guessed.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import hcl2

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
REFERENCE = re.compile(r"\$\{(var|local)\.(\w+)\}")


# One parse at a time: the Day-1 walks run in threads (conftest.py), and python-hcl2 is not
# thread-safe (its serialiser mutates a context shared by every call; its parser writes a cache file).
_PARSING = threading.Lock()


def load(path: Path) -> dict:
    with _PARSING:
        return hcl2.loads(path.read_text(), serialization_options=OPTIONS)


def blocks(directory: Path, kind: str) -> list[dict]:
    found = []
    for path in sorted(directory.glob("*.tf")):
        found += load(path).get(kind, [])
    return found


def tfvars(*paths: Path) -> dict:
    values: dict = {}
    for path in paths:
        values |= load(path)
    return values


def locals_of(directory: Path) -> dict:
    merged: dict = {}
    for block in blocks(directory, "locals"):
        merged |= block
    return merged


def evaluate(expression: object, variables: dict, local_values: dict) -> str:
    """A string template of var./local. references, resolved; anything else is refused loudly."""
    text = str(expression)
    if re.fullmatch(r"(var|local)\.\w+", text):
        text = "${" + text + "}"

    def value_of(match: re.Match) -> str:
        kind, name = match.groups()
        if kind == "var":
            assert name in variables, f"var.{name} has no value in the walk's tfvars"
            return str(variables[name])
        assert name in local_values, f"local.{name} is not defined"
        return evaluate(local_values[name], variables, local_values)

    resolved = REFERENCE.sub(value_of, text)
    assert "${" not in resolved, f"cannot evaluate {expression!r} offline: only var./local. templates are read"
    return resolved


def module_call(directory: Path, name: str) -> dict:
    for block in blocks(directory, "module"):
        if name in block:
            return block[name]
    raise AssertionError(f"{directory} has no module {name!r}")


def declared_outputs(project: Path, env: str) -> list[str]:
    """The root outputs of an environment: what the tasks may read from its state."""
    return [name for block in blocks(project / "terraform" / "environments" / env, "output") for name in block]


def defaults(directory: Path) -> dict:
    """The declared defaults of a directory's variables."""
    return {
        name: body["default"]
        for block in blocks(directory, "variable")
        for name, body in block.items()
        if "default" in body
    }


def environment_variables(project: Path, env: str) -> dict:
    """The root's variables as Terraform sees them: declared defaults, then terraform.tfvars."""
    root = project / "terraform" / "environments" / env
    return defaults(root) | tfvars(root / "terraform.tfvars")


def state_bucket(project: Path, env: str) -> str:
    """The bucket terraform/bootstrap creates in the account that holds ``env`` (its <env>.tfvars)."""
    root = project / "terraform" / "bootstrap"
    variables = tfvars(root / "terraform.tfvars", root / f"{env}.tfvars")
    bucket = module_call(root, "state_bucket")["name"]
    return evaluate(bucket, variables, locals_of(root))


def runner_project(project: Path, env: str) -> str:
    """The CodeBuild project of an environment's VPC runner: jobs name it in `runs-on`."""
    terraform = project / "terraform"
    root = terraform / "environments" / env
    variables = environment_variables(project, env)
    # The root passes its variables straight through (`project = var.project`); the rest is not needed.
    service_vars = {
        key: evaluate(value, variables, {})
        for key, value in module_call(root, "service").items()
        if isinstance(value, str) and re.fullmatch(r"(\$\{)?var\.\w+\}?", value)
    }
    service = terraform / "modules" / "service"
    runner_name = evaluate(module_call(service, "ci_runner")["name"], service_vars, locals_of(service))
    runner = terraform / "modules" / "ci_runner"
    return evaluate(locals_of(runner)["project_name"], {"name": runner_name}, {})


def certificates_awaiting_records(project: Path, env: str) -> list[str]:
    """Addresses of the ACM certificates whose validation waits for hand-made DNS records: with a
    domain and no Route 53 zone, every `aws_acm_certificate` of the modules the service calls."""
    variables = environment_variables(project, env)
    if not variables.get("domain_name") or variables.get("route53_zone_id"):
        return []
    modules = project / "terraform" / "modules"
    called = [name for block in blocks(modules / "service", "module") for name in block]
    return [
        f"module.service.module.{module}.aws_acm_certificate.{name}"
        for module in called
        for resource in blocks(modules / module, "resource")
        for name in resource.get("aws_acm_certificate", {})
    ]
