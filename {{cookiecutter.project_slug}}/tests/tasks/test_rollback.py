"""rollback against the fake API: to the last verified revision or a given one, watched to the end."""

import pytest
from cluster_fixture import DIGEST_A, DIGEST_B, REPO, cluster  # noqa: F401  (the fixture)
from conftest import SLUG
from invoke import Exit
from test_deploy import run_deploy

from tasks import deploy


def test_rollback_after_deploys_own_rollback_changes_nothing(cluster, capsys):  # noqa: F811
    """The deploy workflow runs `invoke rollback` after a failed deploy: it must not undo the undo."""
    run_deploy(cluster)
    cluster.fake.rollout_ok = False
    with pytest.raises(Exit, match="rolled back to revision 1"):
        run_deploy(cluster, DIGEST_B)
    cluster.fake.requests.clear()
    for _ in range(2):
        deploy.rollback(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    assert cluster.changes() == []
    assert capsys.readouterr().out.count("Nothing to do: ") == 2


def test_rollback_to_an_explicit_revision_is_watched(cluster, capsys):  # noqa: F811
    run_deploy(cluster)
    run_deploy(cluster, DIGEST_B)  # revision 2, verified
    deploy.rollback(cluster.context(), env="staging", revision="1", kubeconfig=cluster.kubeconfig)
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    printed = capsys.readouterr().out
    assert f"Rolled {SLUG} in staging back to revision 3; it is healthy." not in printed
    assert f"Rolled {SLUG} in staging back to revision 1; it is healthy." in printed
    deploy.rollback(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)  # to the last verified: B
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_B}"


def test_rollback_survives_a_429_burst_and_a_slow_rollout(cluster, capsys):  # noqa: F811
    run_deploy(cluster)
    run_deploy(cluster, DIGEST_B)
    cluster.fake.burst(429, 3, retry_after="0")
    cluster.fake.rollout_polls = 3
    deploy.rollback(cluster.context(), env="staging", revision="1", kubeconfig=cluster.kubeconfig)
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    printed = capsys.readouterr().out
    assert printed.count("Kubernetes API: HTTP 429") == 3
    assert "  rollout: 1/2 updated, 0 available, 2 old remaining" in printed
    assert printed.rstrip().endswith(f"Rolled {SLUG} in staging back to revision 1; it is healthy.")


def test_a_failing_rollback_is_reported(cluster):  # noqa: F811
    run_deploy(cluster)
    run_deploy(cluster, DIGEST_B)
    cluster.fake.rollback_ok = False
    with pytest.raises(Exit) as error:
        deploy.rollback(cluster.context(), env="staging", revision="1", kubeconfig=cluster.kubeconfig)
    assert error.value.message.startswith("The rollback to revision 1 failed (failed: progress deadline exceeded")
    assert error.value.message.endswith("; see `invoke status --env staging`.")


@pytest.mark.parametrize(("revision", "shown"), [("abc", "'abc'"), ("0", "'0'"), ("-2", "'-2'")])
def test_a_bad_revision_is_one_sentence_before_anything_is_read(cluster, revision, shown):  # noqa: F811
    with pytest.raises(Exit) as error:
        deploy.rollback(cluster.context(), env="staging", revision=revision, kubeconfig=cluster.kubeconfig)
    assert error.value.message == (
        f"--revision {shown} is not a revision number (see `invoke status`): give a whole number of at least 1."
    )
    assert cluster.fake.requests == []


def test_rollback_without_a_verified_revision_is_a_sentence(cluster):  # noqa: F811
    cluster.fake.readyz = [503]
    with pytest.raises(Exit):
        run_deploy(cluster)
    with pytest.raises(Exit) as error:
        deploy.rollback(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    assert error.value.message == (
        f"Cannot roll back {SLUG} in staging: "
        "no revision has passed a smoke test yet, so there was nothing to roll back to."
    )
