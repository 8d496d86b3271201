"""The workflows layer's fixtures live in gha_support.py (a unique module name, so every layer's
helpers can be imported in one pytest run); this file only registers them."""

from gha_support import (  # noqa: F401
    bake,
    bakes,
    distinct,
    pytest_terminal_summary,
)
