"""Template updates with cruft: a project created at an earlier template commit takes this template's
changes, and a changed answer, without a conflict, and ends up exactly as a fresh render.

The updated projects' own nox sessions run in the `generated` tests (tests/generated), which run on
these same updated projects.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
from template_history import SNAPSHOT, archive_of_baseline_commit, has_baseline_commit
from updates import answers_changed, template_repo, updated

COMBOS = ["default", "custom-domain"]


@pytest.mark.parametrize("combo", COMBOS)
def test_an_update_from_the_earlier_template_applies_cleanly(combo):
    update = updated(combo)
    print(f"update of {combo} from the {template_repo().earlier_source}: {update.summary()}")
    print(update.output[-2000:])
    assert update.rejects == []
    assert update.conflicted == []
    assert update.differs_from_fresh_render == []
    # The earlier template had neither the lock nor the interpreter pin; the update brings both.
    assert {"uv.lock", ".python-version"} <= set(update.changed["added"])
    cruft_state = json.loads((update.project / ".cruft.json").read_text())
    assert cruft_state["commit"] == template_repo().current


def test_changing_an_answer_applies_cleanly():
    update = answers_changed("default", "use_worker_instance", "n")
    print(f"use_worker_instance y -> n: {update.summary()}")
    assert update.rejects == []
    assert update.conflicted == []
    assert update.differs_from_fresh_render == []
    assert "terraform/modules/worker/main.tf" in update.changed["deleted"]
    cruft_state = json.loads((update.project / ".cruft.json").read_text())
    assert cruft_state["context"]["cookiecutter"]["use_worker_instance"] == "n"


def test_the_snapshot_holds_the_recorded_commit():
    """CI on a shallow clone builds the earlier template from the snapshot: it must be that commit."""
    if not has_baseline_commit():
        pytest.skip("this clone lacks the recorded commit (shallow?): the update tests used the snapshot")

    def members(archive: bytes) -> dict[str, bytes]:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}

    snapshot = members(gzip.decompress(SNAPSHOT.read_bytes()))
    assert len(snapshot) > 100
    assert snapshot == members(archive_of_baseline_commit())
