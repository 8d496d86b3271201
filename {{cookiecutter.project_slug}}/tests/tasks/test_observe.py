"""status and logs: read-only, outputs from the state in S3, a kubeconfig accepted, bad numbers refused."""

import pytest
from cluster_fixture import DIGEST_A, REPO, cluster  # noqa: F401  (the fixture)
from conftest import SLUG
from invoke import Exit

from tasks import deploy, observe


def test_status_prints_rollout_image_revisions_pods_and_events(cluster, capsys):  # noqa: F811
    deploy.deploy(cluster.context(), env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    capsys.readouterr()
    cluster.fake.requests.clear()
    observe.status(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Rollout: 2/2 updated, 2 available, 0 old remaining  (revision 1)"
    assert printed[1] == f"Image:   {REPO}@{DIGEST_A}"
    assert printed[2].split() == ["REVISION", "IMAGE"]
    assert printed[3].split() == ["1", f"{REPO}@{DIGEST_A}", "running,", "passed", "smoke", "test"]
    assert printed[4].split() == ["POD", "PHASE", "READY", "RESTARTS"]
    assert printed[5].split() == ["web-1", "Running", "1/1", "0"]
    assert printed[7].split()[:3] == ["2026-11-26T10:00:00Z", "Normal", "Deployment/web"]
    assert cluster.changes() == []


def test_status_before_any_deploy_is_a_sentence(cluster):  # noqa: F811
    with pytest.raises(Exit) as error:
        observe.status(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    assert error.value.message == f"Deployment {SLUG} does not exist in staging yet: run `invoke deploy --env staging`."


def test_logs_prefix_each_line_with_the_pod(cluster, capsys):  # noqa: F811
    observe.logs(cluster.context(), env="staging", since=5, tail=20, kubeconfig=cluster.kubeconfig)
    assert capsys.readouterr().out.splitlines() == ["web-1 | line one", "web-1 | line two"]
    query = next(r["query"] for r in cluster.fake.requests if r["path"].endswith("/log"))
    assert query == {"container": ["app"], "sinceSeconds": ["300"], "tailLines": ["20"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "abc"}, "--since 'abc' is not a number of minutes: give a whole number of at least 1."),
        ({"since": "0"}, "--since '0' is not a number of minutes: give a whole number of at least 1."),
        ({"tail": "many"}, "--tail 'many' is not a number of lines: give a whole number of at least 1."),
    ],
)
def test_bad_numbers_are_one_sentence_before_anything_is_read(cluster, kwargs, message):  # noqa: F811
    with pytest.raises(Exit) as error:
        observe.logs(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig, **kwargs)
    assert error.value.message == message
    assert cluster.fake.requests == []
