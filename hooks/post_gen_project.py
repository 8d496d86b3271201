"""Remove the files of options that were not chosen.

One table says which paths belong to which answer; one loop removes them. No network, no prompts.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# (question, answer) -> paths (relative to the generated project) that exist only for other answers.
PRUNE = {
    ("use_cloudfront", "n"): ["terraform/modules/edge"],
    ("use_worker_instance", "n"): ["terraform/modules/worker"],
    ("open_source_license", "Not open source"): ["LICENSE"],
}


def paths_to_prune(answers: dict[str, str]) -> list[str]:
    """The paths the answers do not need, in table order."""
    return [path for (question, answer), paths in PRUNE.items() if answers.get(question) == answer for path in paths]


def prune(project: Path, answers: dict[str, str]) -> None:
    for relative in paths_to_prune(answers):
        target = project / relative
        if not target.exists():
            sys.exit(f"post_gen_project: the prune table names {relative!r}, which the template did not generate.")
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()


if __name__ == "__main__":
    # Cookiecutter renders this file before running it: the answers arrive as one JSON string literal.
    prune(Path.cwd(), json.loads({{cookiecutter | jsonify | tojson}}))
    sys.exit(0)
