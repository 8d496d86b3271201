"""Every bake of the matrix (and a Graviton one), and the facts the relations compare, read from the
rendered files by parsing them: HCL with python-hcl2, YAML and the kustomize render, Python with ast.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import hcl2
import pytest
import yaml
from bakery import OPTIONS, every_combo, render, tool

RENDERS: dict[tuple[str, str], list[dict]] = {}  # (k8s tree digest, overlay) -> objects
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HCL = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=True, with_comments=False)
# The matrix keeps the default node type; one bake answers a Graviton type, so the architecture
# relation meets an arm64 case too.
COMBOS = {**every_combo(), "graviton": {"node_instance_type": "t4g.medium"}}
ENVIRONMENTS = ("staging", "production")
VAR = re.compile(r"^\$\{var\.(\w+)\}$")


def hcl(path: Path) -> dict:
    return parse_hcl(path.read_text())


@cache
def parse_hcl(text: str) -> dict:
    """Parsed once per distinct text: most files are the same in every bake, and python-hcl2 is slow."""
    return hcl2.loads(text, serialization_options=HCL)


def blocks(directory: Path, kind: str) -> dict[str, dict]:
    """``{name: body}`` of every ``kind`` block (module, variable) in a Terraform directory."""
    found = {}
    for path in sorted(directory.glob("*.tf")):
        for entry in hcl(path).get(kind, []):
            found.update(entry)
    return found


def resources(directory: Path, resource_type: str) -> dict[str, dict]:
    found = {}
    for path in sorted(directory.glob("*.tf")):
        for entry in hcl(path).get("resource", []):
            found.update(entry.get(resource_type, {}))
    return found


@dataclass
class Environment:
    """One environment of one bake: its Terraform root, its rendered overlay, and the app's files."""

    project: Path
    answers: dict[str, str]
    name: str

    @property
    def slug(self) -> str:
        return self.project.name

    @property
    def root(self) -> Path:
        return self.project / "terraform" / "environments" / self.name

    @cached_property
    def tfvars(self) -> dict:
        return hcl(self.root / "terraform.tfvars")

    def answer(self, key: str) -> str:
        value = self.answers.get(key, OPTIONS[key])
        return value[0] if isinstance(value, list) else value

    @cached_property
    def docs(self) -> list[dict]:
        return kustomize(self.project / "k8s" / "overlays" / self.name)

    @cached_property
    def cluster_docs(self) -> list[dict]:
        return kustomize(self.project / "k8s" / "cluster" / "overlays" / self.name)

    def one(self, kind: str, name: str | None = None, docs: list[dict] | None = None) -> dict:
        found = [d for d in docs or self.docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
        assert len(found) == 1, f"{self.name}: expected one {kind} {name or ''}, found {len(found)}"
        return found[0]

    @property
    def config(self) -> dict[str, str]:
        return self.one("ConfigMap")["data"]

    def module_input(self, module_dir: str, name: str) -> list[object]:
        """The values input ``name`` of ``modules/<module_dir>`` gets on every path from this root."""
        return resolve_input(self.root, module_dir, name, self.tfvars)


def kustomize(directory: Path) -> list[dict]:
    """The rendered objects; bakes whose k8s/ trees are the same share one render."""
    k8s = next(parent for parent in directory.parents if parent.name == "k8s")
    digest = hashlib.sha256()
    for path in sorted(p for p in k8s.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(k8s)).encode() + b"\0" + path.read_bytes() + b"\0")
    key = (digest.hexdigest(), str(directory.relative_to(k8s)))
    if key not in RENDERS:
        argv = [tool("kubectl"), "kustomize", str(directory)]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode:
            pytest.fail(f"kubectl kustomize {directory} failed:\n{result.stderr}")
        RENDERS[key] = [doc for doc in yaml.load_all(result.stdout, Loader=SAFE_LOADER) if doc]
    return RENDERS[key]


def resolve_input(directory: Path, target: str, name: str, values: dict, depth: int = 0) -> list[object]:
    """Follow module calls from ``directory`` down to ``modules/<target>`` and evaluate its input ``name``.

    ``values`` are the calling module's own inputs (the root's tfvars). A value passed through as
    ``var.<x>`` is looked up in the caller's inputs, then its variable default; anything else than a
    literal or a pass-through fails with a sentence, so a new kind of wiring gets taught here.
    """
    assert depth < 5, f"module nesting deeper than expected under {directory}"
    variables = blocks(directory, "variable")
    found = []
    for call in blocks(directory, "module").values():
        source = (directory / call["source"]).resolve()
        inputs = {key: evaluate(value, values, variables) for key, value in call.items() if not key.startswith("__")}
        if source.name == target:
            callee = blocks(source, "variable").get(name, {})
            found.append(inputs.get(name, callee.get("default")))
        else:
            found += resolve_input(source, target, name, inputs, depth + 1)
    return found


def evaluate(value: object, values: dict, variables: dict) -> object:
    if isinstance(value, str) and (match := VAR.match(value)):
        variable = match.group(1)
        return values[variable] if variable in values else variables.get(variable, {}).get("default")
    return value


# -- the app's files, read with ast ------------------------------------------------------------------


def app_file(project: Path, name: str) -> Path:
    found = list(project.glob(f"src/*/{name}"))
    if len(found) != 1:
        pytest.fail(f"the app has no src/<package>/{name}, where tests/crosslayer reads its settings")
    return found[0]


def settings_defaults(project: Path, class_name: str) -> dict[str, object]:
    """``{ENVIRONMENT_VARIABLE: default}`` of one pydantic-settings class in the app's settings.py."""
    tree = ast.parse(app_file(project, "settings.py").read_text())
    (cls,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name]
    defaults = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Field":
                if not value.args:
                    continue  # a default_factory: decided at run time
                value = value.args[0]
            try:
                defaults[node.target.id.upper()] = ast.literal_eval(value)
            except ValueError:
                continue  # a name (e.g. a module constant): not a number the relations need
    return defaults


def setting(project: Path, class_name: str, name: str, config: dict[str, str]) -> int:
    """An int setting as the pods see it: the ConfigMap's value, else the app's default."""
    if name in config:
        return int(config[name])
    defaults = settings_defaults(project, class_name)
    if name not in defaults:
        pytest.fail(f"{class_name}.{name.lower()} has no literal default in settings.py: teach tests/crosslayer")
    return int(defaults[name])  # type: ignore[call-overload]


def gunicorn_setting(project: Path, name: str, config: dict[str, str]) -> int:
    """A gunicorn.conf.py setting: a literal, or a ServerSettings field (``keepalive = server.gunicorn_keepalive``)."""
    tree = ast.parse((project / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == name for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                return node.value.value
            if isinstance(node.value, ast.Attribute):
                return setting(project, "ServerSettings", node.value.attr.upper(), config)
            pytest.fail(f"gunicorn.conf.py sets {name} = {ast.unparse(node.value)}: teach tests/crosslayer this form")
    pytest.fail(f"gunicorn.conf.py sets no {name}")


def max_overflow_form(project: Path) -> str:
    """How db.py sizes the pool's overflow: the expression given as ``max_overflow``, as source text."""
    for node in ast.walk(ast.parse(app_file(project, "db.py").read_text())):
        if isinstance(node, ast.keyword) and node.arg == "max_overflow":
            return ast.unparse(node.value)
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "max_overflow":
                    return ast.unparse(value)
    pytest.fail("db.py sets no max_overflow: teach tests/crosslayer how the pool is sized")


@pytest.fixture(scope="session", params=list(COMBOS), ids=list(COMBOS))
def bake(request) -> tuple[dict[str, str], Path]:
    answers = COMBOS[request.param]
    return answers, render(**answers)


@pytest.fixture(params=ENVIRONMENTS)
def environment(request, bake) -> Environment:
    answers, project = bake
    return Environment(project, answers, request.param)
