"""Import the cookiecutter hooks as modules, without rendering them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from bakery import TEMPLATE_DIR


def load_hook(name: str) -> ModuleType:
    path = Path(TEMPLATE_DIR, "hooks", f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")
