"""Stand-ins the rehearsal puts on PATH: a recording `terraform`, and `cosign` and `aws` that succeed."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
# cosign verify/sign: the signature checks are proven in the generated tests/tasks; here only the order.
# aws ssm start-session: the tunnel's foreground session, ended at once (exit 0, as after Ctrl-C it is 130).
SUCCEEDING = {"cosign": 'echo "$@" >> "$(dirname "$0")/cosign-calls"\n', "aws": ""}


def install(bin_dir: Path) -> Path:
    """Write the stand-ins into ``bin_dir`` (made if needed) and return it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    scripts = {"terraform": f'exec "{sys.executable}" "{HERE / "terraform.py"}" "$@"\n', **SUCCEEDING}
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}exit 0\n" if name != "terraform" else f"#!/bin/sh\n{body}")
        path.chmod(0o755)
    return bin_dir
