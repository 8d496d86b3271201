"""Commands live in one place: every `invoke` command a workflow runs names a task, and flags, that the
generated project's tasks package defines, and every `nox --session` a session its noxfile defines
(both read from the source with ast, so nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

from gha_jobs import invocations


def is_task(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Name) and target.id == "task"


def task_functions(package: Path) -> dict[tuple[str, str], set[str]]:
    """(module, function) -> the flags invoke derives from its parameters (`plan_file` -> `--plan-file`)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and any(is_task(d) for d in node.decorator_list):
                parameters = [a.arg for a in node.args.args[1:] + node.args.kwonlyargs]
                found[(path.stem, node.name)] = {"--" + name.replace("_", "-") for name in parameters}
    return found


def task_names(package: Path) -> dict[str, set[str]]:
    """invoke's name for each task the namespace in tasks/__init__.py collects -> its flags."""
    functions = task_functions(package)
    tree = ast.parse((package / "__init__.py").read_text())
    names: dict[str, set[str]] = {}
    in_collections = set()
    for call in ast.walk(tree):
        named = isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Collection"
        if named and call.args and isinstance(call.args[0], ast.Constant):
            for argument in call.args[1:]:
                key = (argument.value.id, argument.attr)
                names[f"{call.args[0].value}.{argument.attr.replace('_', '-')}"] = functions[key]
                in_collections.add(id(argument))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and id(node) not in in_collections:
            key = (node.value.id, node.attr)
            if key in functions:
                names[node.attr.replace("_", "-")] = functions[key]
    return names


def used_commands(bake) -> set[tuple[str, str | None]]:
    """(task, flag) for every flag of every `invoke` command, and (task, None) for the task itself."""
    used = set()
    for workflow in bake.workflows().values():
        for job in workflow["jobs"].values():
            for _, _, argv in invocations(workflow, job):
                if argv[:1] == ["invoke"]:
                    used.add((argv[1], None))
                    used |= {(argv[1], word) for word in argv[2:] if word.startswith("--")}
    return used


def test_the_task_reader_sees_the_tasks_everyone_uses(bake):
    names = task_names(bake.project / "tasks")
    assert {"--env", "--image"} <= names["deploy"]
    assert "--revision" in names["rollback"]
    assert {"--env", "--plan-only"} <= names["provision"]
    assert "db.migrate" in names


def test_every_invoke_command_names_a_task_and_flags_it_defines(bake):
    names = task_names(bake.project / "tasks")
    missing = {
        (task, flag) for task, flag in used_commands(bake) if task not in names or (flag and flag not in names[task])
    }
    assert not missing, f"commands no task defines: {sorted(missing, key=str)}"


def nox_sessions(noxfile: Path) -> set[str]:
    """The names of the functions decorated with `@nox.session(...)`."""
    found = set()
    for node in ast.parse(noxfile.read_text()).body:
        for decorator in getattr(node, "decorator_list", []):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute) and target.attr == "session":
                found.add(node.name)
    return found


def test_every_nox_session_ci_runs_exists(bake):
    defined = nox_sessions(bake.project / "noxfile.py")
    assert {"tests", "lint", "typing", "iac"} <= defined
    ci = bake.workflow("ci.yml")
    used = set(ci["jobs"]["checks"]["strategy"]["matrix"]["session"])
    used |= {
        argv[2]
        for job in ci["jobs"].values()
        for _, _, argv in invocations(ci, job)
        if argv[:2] == ["nox", "--session"]
    }
    missing = used - defined - {"${{ matrix.session }}"}  # the matrix, read above
    assert not missing, f"sessions the noxfile does not define: {sorted(missing)}"
