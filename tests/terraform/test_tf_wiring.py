"""Module wiring: calls match the modules' variables, references resolve, variables are documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BAKE_IDS, ENVIRONMENTS, evaluated, modules, terraform_dir, tfvars
from hcl import Block

# The module an environment root calls: every other module is composed in it.
COMPOSITION = "service"
# Arguments of a module block that Terraform takes, not the module's variables.
MODULE_META = {"source", "version", "providers", "count", "for_each", "depends_on"}
# Named references an expression can make; iteration symbols (each, count, self, path) are local.
REFERENCE = re.compile(r"(?<![\w.])(?:(var|local)\.(\w+)|module\.(\w+)\.(\w+)|data\.(aws_\w+)\.(\w+)|(aws_\w+)\.(\w+))")


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _expressions(block: Block):
    """(line, text) of every expression in a block, nested blocks included."""
    for attribute in block.attributes.values():
        for text in _strings(attribute.value):
            if "${" in text:  # python-hcl2 marks expressions (bare or in templates) with ${...}
                yield attribute.line, text
    for child in block.blocks:
        yield from _expressions(child)


class Module:
    """What one Terraform directory declares."""

    def __init__(self, directory: Path, blocks: list[Block]):
        self.directory = directory
        self.blocks = blocks
        self.variables = {b.labels[0]: b for b in blocks if b.type == "variable"}
        self.outputs = {b.labels[0]: b for b in blocks if b.type == "output"}
        self.calls = {b.labels[0]: b for b in blocks if b.type == "module"}
        self.resources = {tuple(b.labels) for b in blocks if b.type == "resource"}
        self.data = {tuple(b.labels) for b in blocks if b.type == "data"}
        self.locals = {name for b in blocks if b.type == "locals" for name in b.attributes}

    def source(self, call: str) -> Path:
        return (self.directory / str(self.calls[call].value("source"))).resolve()


def _modules(bake_id: str) -> dict[Path, Module]:
    return {directory.resolve(): Module(directory, blocks) for directory, blocks in modules(bake_id).items()}


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_module_calls_pass_declared_and_required_variables(bake_id):
    found = _modules(bake_id)
    problems = []
    for module in found.values():
        for name, call in module.calls.items():
            target = found.get(module.source(name))
            if target is None:
                problems.append(f"{call.where()}: module {name}: source {call.value('source')} has no .tf files")
                continue
            passed = set(call.attributes) - MODULE_META
            for unknown in sorted(passed - set(target.variables)):
                line = call.attributes[unknown].line
                problems.append(
                    f"{call.where(line)}: module {name}: `{unknown}` is not a variable of {target.directory}"
                )
            required = {var for var, block in target.variables.items() if "default" not in block.attributes}
            for missing in sorted(required - passed):
                problems.append(f"{call.where()}: module {name}: required variable `{missing}` is not passed")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_every_reference_resolves(bake_id):
    found = _modules(bake_id)
    problems = []
    for module in found.values():
        # A moved block's `from` names an address that no longer exists, by design.
        for block in (b for b in module.blocks if b.type != "moved"):
            for line, text in _expressions(block):
                for match in REFERENCE.finditer(text):
                    problem = _unresolved(module, found, match)
                    if problem:
                        problems.append(f"{block.where(line)}: {problem}")
    assert not problems, "\n".join(problems)


def _unresolved(module: Module, found: dict[Path, Module], match: re.Match) -> str | None:
    kind, name, call, output, data_type, data_name, resource_type, resource_name = match.groups()
    if kind == "var" and name not in module.variables:
        return f"var.{name} is not declared"
    if kind == "local" and name not in module.locals:
        return f"local.{name} is not defined"
    if call:
        if call not in module.calls:
            return f"module.{call} is not called here"
        target = found.get(module.source(call))
        if target is not None and output not in target.outputs:
            return f"module.{call}.{output}: {target.directory.name} has no output `{output}`"
    if data_type and (data_type, data_name) not in module.data:
        return f"data.{data_type}.{data_name} is not declared"
    if resource_type and (resource_type, resource_name) not in module.resources:
        return f"{resource_type}.{resource_name} is not declared"
    return None


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_variables_and_outputs_are_documented(bake_id):
    problems = []
    for module in _modules(bake_id).values():
        for name, block in module.variables.items():
            if not str(block.value("description", "")).strip():
                problems.append(f"{block.where()}: variable {name} has no description")
            if "type" not in block.attributes:
                problems.append(f"{block.where()}: variable {name} has no type")
        for name, block in module.outputs.items():
            if not str(block.value("description", "")).strip():
                problems.append(f"{block.where()}: output {name} has no description")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_modules_declare_no_providers(bake_id):
    offenders = [
        block.where()
        for module in _modules(bake_id).values()
        if "modules" in module.directory.parts
        for block in module.blocks
        if block.type == "provider"
    ]
    assert not offenders, "modules must take providers from their caller: " + ", ".join(offenders)


def _validations(result: dict):
    for variable in result.get("variable", []):
        checks = variable.get("validation", [])
        for check in checks if isinstance(checks, list) else [checks]:
            yield variable["__tfmeta"], check


@pytest.mark.parametrize("root", [*(f"environments/{env}" for env in ENVIRONMENTS), "bootstrap"])
@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_root_evaluates_with_its_tfvars(bake_id, root):
    """Every root variable gets a value, tfparse expands every module with the tfvars, and the
    validations of the root and of the composition module (whose values are all known) evaluate to
    true. Deeper modules get values derived from data sources (the zones) that tfparse cannot read;
    `terraform test` (test_tf_plan.py) evaluates their validations with real Terraform."""
    result = evaluated(bake_id, root)
    declared = {b.labels[0]: b for b in modules(bake_id)[_directory(bake_id, root)] if b.type == "variable"}
    values = tfvars(bake_id, root)
    problems = [
        f"{root}/terraform.tfvars: `{name}` is not a variable of the root" for name in values if name not in declared
    ]
    problems += [
        f"{block.where()}: variable {name} has no default and no value in terraform.tfvars"
        for name, block in declared.items()
        if "default" not in block.attributes and name not in values
    ]
    for meta, check in _validations(result):
        # The root's variables and the composition module it hands them to: values are all known.
        checks_tfvars = "/" not in meta["filename"] or meta["filename"].endswith(f"/{COMPOSITION}/variables.tf")
        if checks_tfvars and check.get("condition") is not True:
            problems.append(
                f"{root}/{meta['filename']}:{meta['line_start']}: validation of {meta['label']} is "
                f"{check.get('condition')!r}: {check.get('error_message')}"
            )
    calls = set()
    for directory in (_directory(bake_id, root), terraform_dir(bake_id) / "modules" / COMPOSITION):
        if root != "bootstrap" or directory.name != COMPOSITION:
            # A module with count may be switched off by the answers (the access instance with a public API).
            calls |= {
                block.labels[0]
                for block in modules(bake_id)[directory]
                if block.type == "module" and "count" not in block.attributes
            }
    # A module with count or for_each is labelled by its instances: name[0], name["key"].
    expanded = {entry["__tfmeta"]["label"].split("[")[0] for entry in result.get("module", [])}
    if calls - expanded:
        problems.append(f"{root}: tfparse did not expand modules {sorted(calls - expanded)}")
    assert not problems, "\n".join(problems)


def _directory(bake_id: str, root: str) -> Path:
    return terraform_dir(bake_id) / root


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_every_directory_pins_terraform_and_the_aws_provider(bake_id):
    problems = []
    for module in _modules(bake_id).values():
        settings = [block for block in module.blocks if block.type == "terraform" and block.child("required_providers")]
        if len(settings) != 1:
            problems.append(f"{module.directory}: expected one terraform block with required_providers")
            continue
        (block,) = settings
        aws = block.child("required_providers").value("aws", {})
        if block.value("required_version") != ">= 1.10":
            problems.append(f"{block.where()}: required_version must be >= 1.10")
        if (aws.get("source"), aws.get("version")) != ("hashicorp/aws", "~> 6.25"):
            problems.append(f"{block.where()}: aws provider must be hashicorp/aws ~> 6.25, not {aws}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bake_id", BAKE_IDS)
def test_environment_roots_only_call_the_composition_module(bake_id):
    """An environment root is glue: one call of modules/service, no resources of its own, and the
    same files as every other environment except backend.tf and terraform.tfvars."""
    problems = []
    texts: dict[str, dict[str, str]] = {}
    for environment in ENVIRONMENTS:
        directory = terraform_dir(bake_id) / "environments" / environment
        blocks = modules(bake_id)[directory]
        calls = [block for block in blocks if block.type == "module"]
        owned = [f"{block.type} {'.'.join(block.labels)}" for block in blocks if block.type in ("resource", "data")]
        if [(c.labels[0], c.value("source")) for c in calls] != [(COMPOSITION, f"../../modules/{COMPOSITION}")]:
            problems.append(f"{directory}: expected one call, module {COMPOSITION} from ../../modules/{COMPOSITION}")
        if owned:
            problems.append(f"{directory}: declares {owned}; they belong in modules/{COMPOSITION}")
        texts[environment] = {
            path.name: path.read_text() for path in sorted(directory.glob("*.tf")) if path.name != "backend.tf"
        }
    first, *others = ENVIRONMENTS
    for environment in others:
        differing = sorted(
            name
            for name in set(texts[first]) | set(texts[environment])
            if texts[first].get(name) != texts[environment].get(name)
        )
        if differing:
            problems.append(f"environments/{first} and environments/{environment} differ in {differing}")
    assert not problems, "\n".join(problems)
