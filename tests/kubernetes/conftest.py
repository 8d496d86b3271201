"""The kubernetes layer's fixtures live in k8s_support.py (a unique module name, so every layer's
helpers can be imported in one pytest run); this file only registers them."""

from k8s_support import (  # noqa: F401
    any_rendered,
    bakes,
    cluster_rendered,
    combo,
    oracle_runs,
    pytest_terminal_summary,
    rendered,
    renders,
)
