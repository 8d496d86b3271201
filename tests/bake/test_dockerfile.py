"""hadolint on the Dockerfile of every bake (docker build itself cannot run on these machines)."""

from __future__ import annotations

import subprocess

from bakery import NAMED_COMBOS, all_pairs, render, tool


def test_every_rendered_dockerfile_is_hadolint_clean():
    hadolint = tool("hadolint")
    combos = all_pairs() + list(NAMED_COMBOS.values())
    dockerfiles = sorted({str(render(**combo) / "Dockerfile") for combo in combos})
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", *dockerfiles], capture_output=True, text=True
    )
    print(f"hadolint: {len(dockerfiles)} Dockerfiles checked")
    assert result.returncode == 0, result.stdout + result.stderr
