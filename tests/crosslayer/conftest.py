"""The cross-layer layer's fixtures live in crosslayer_support.py (a unique module name)."""

from crosslayer_support import bake, environment  # noqa: F401
