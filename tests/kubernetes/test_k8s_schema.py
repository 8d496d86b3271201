"""Every rendered overlay validates strictly against the schema of the bake's Kubernetes version."""

from __future__ import annotations

import pytest
from bakery import tool
from k8s_support import by_version, report, run


@pytest.fixture(scope="session")
def validation(renders, oracle_runs) -> dict[str, str]:
    """Rendered file -> the validator's complaints about it (one run per Kubernetes version)."""
    complaints = {}
    groups = by_version(renders)
    for version, group in groups.items():
        result = oracle_runs[f"kubernetes-validate {version}"].result
        output = (result.stdout + result.stderr).splitlines()
        for render in group:
            complaints[str(render.path)] = "\n".join(line for line in output if str(render.path) in line)
        unattributed = [line for line in output if line.strip() and not any(str(r.path) in line for r in group)]
        assert not unattributed, f"kubernetes-validate {version}: {unattributed}"
        assert result.returncode == 0 or any(complaints.values()), f"kubernetes-validate exited {result.returncode}"
    count = sum(map(len, groups.values()))
    report(f"kubernetes-validate: {count} distinct renders over {len(groups)} Kubernetes versions")
    return complaints


def test_overlay_validates_strictly(any_rendered, validation):
    assert validation[str(any_rendered.path)] == ""


def test_validator_rejects_an_unknown_field(renders, tmp_path):
    """The oracle is live: a misspelt probe field in a real render is reported."""
    render = next(iter(renders.values()))
    broken = tmp_path / "broken.yaml"
    broken.write_text(render.path.read_text().replace("livenessProbe:", "livenesProbe:", 1))
    result = run(
        [tool("kubernetes-validate"), "--strict", "--quiet", "-k", f"{render.kubernetes_version}.0", str(broken)]
    )
    assert result.returncode != 0
    assert "livenesProbe" in result.stdout + result.stderr
