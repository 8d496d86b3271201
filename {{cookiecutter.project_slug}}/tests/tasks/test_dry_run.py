"""`invoke --dry TASK` lists exactly the effects the real run performs: same code path, same lines.

Each case runs a task under --dry against the fakes, checks nothing changed, then runs it for real
from the same starting point and compares the printed effects line for line.
"""

import re

import pytest
from cluster_fixture import DIGEST_A, DIGEST_B, cluster  # noqa: F401  (the fixture)
from conftest import SLUG, effect_lines, make_config
from invoke import MockContext, Result

from tasks import cluster as cluster_tasks
from tasks import db, deploy, terraform


def both_ways(cluster, capsys, step):  # noqa: F811
    """Run ``step(context)`` dry, then for real; the effects each printed."""
    before = {path: repr(obj) for path, obj in cluster.fake.objects.items()}
    cluster.fake.requests.clear()
    step(cluster.context(dry=True))
    dry = effect_lines(capsys.readouterr().out)
    assert [r for r in cluster.fake.requests if r["method"] != "GET"] == []
    assert {path: repr(obj) for path, obj in cluster.fake.objects.items()} == before
    step(cluster.context())
    return dry, effect_lines(capsys.readouterr().out)


def test_first_deploy(cluster, capsys):  # noqa: F811
    dry, real = both_ways(
        cluster, capsys, lambda c: deploy.deploy(c, env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    )
    assert dry == real
    assert real[0] == f"kube: apply ServiceAccount {SLUG}/{SLUG}"
    assert real[-1] == f"kube: mark the running revision of Deployment {SLUG}/{SLUG} as verified"


def test_a_redeploy_that_replaces_the_job_and_prunes(cluster, capsys):  # noqa: F811
    deploy.deploy(cluster.context(), env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    stale = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{SLUG}-old", "namespace": SLUG}}
    cluster.fake.apply(f"/api/v1/namespaces/{SLUG}/configmaps/{SLUG}-old", stale, "invoke-deploy")
    capsys.readouterr()
    dry, real = both_ways(
        cluster, capsys, lambda c: deploy.deploy(c, env="staging", image=DIGEST_B, kubeconfig=cluster.kubeconfig)
    )
    assert dry == real
    assert f"kube: delete Job {SLUG}/{SLUG}-migrate" in real
    assert f"kube: delete ConfigMap {SLUG}/{SLUG}-old (no longer rendered)" in real


def test_rollback(cluster, capsys):  # noqa: F811
    for image in (DIGEST_A, DIGEST_B):
        deploy.deploy(cluster.context(), env="staging", image=image, kubeconfig=cluster.kubeconfig)
    capsys.readouterr()
    dry, real = both_ways(
        cluster, capsys, lambda c: deploy.rollback(c, env="staging", revision="1", kubeconfig=cluster.kubeconfig)
    )
    assert (
        dry
        == real
        == [
            f"kube: roll Deployment {SLUG}/{SLUG} back to revision 1",
            f"wait: rollout of Deployment {SLUG}/{SLUG} back to revision 1",
        ]
    )


def test_migrate(cluster, capsys):  # noqa: F811
    deploy.deploy(cluster.context(), env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    capsys.readouterr()
    dry, real = both_ways(cluster, capsys, lambda c: db.migrate(c, env="staging", kubeconfig=cluster.kubeconfig))
    assert dry == real
    assert [line.split(" ")[2] for line in real if line.startswith("kube: apply")] == [
        "ServiceAccount",
        "ConfigMap",
        "Job",
    ]


def test_cluster_setup(cluster, capsys):  # noqa: F811
    dry, real = both_ways(cluster, capsys, lambda c: cluster_tasks.setup(c, env="e2e", kubeconfig=cluster.kubeconfig))
    assert dry == real == [f"kube: apply Namespace {SLUG}"]


def test_destroy(cluster, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")
    real_context = cluster.context

    def terraform_mocked(dry=False):
        results = {re.compile(".* plan "): Result(exited=2), re.compile(".*"): Result("")}
        return MockContext(config=make_config(cluster.project, dry), run=results)

    cluster.context = terraform_mocked
    try:
        dry, real = both_ways(
            cluster,
            capsys,
            lambda c: terraform.destroy(c, env="staging", confirm="staging", kubeconfig=cluster.kubeconfig),
        )
    finally:
        cluster.context = real_context
    assert dry == real
    assert [line.split(":")[0] for line in real] == ["run", "run", "kube", "wait", "run"]


@pytest.mark.parametrize(
    "kwargs", [{}, {"plan_only": True}, {"auto_approve": True}], ids=["asked-yes", "plan-only", "auto-approve"]
)
def test_provision(aws, project, capsys, monkeypatch, kwargs):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    terraform.provision(MockContext(config=make_config(project, dry=True), run=Result("")), env="staging", **kwargs)
    dry = effect_lines(capsys.readouterr().out)
    plan_has_changes = {
        re.compile(".* plan "): Result(exited=2),
        re.compile(".* show -json "): Result('{"resource_changes": []}'),
        re.compile(".*"): Result(""),
    }
    terraform.provision(MockContext(config=make_config(project), run=plan_has_changes), env="staging", **kwargs)
    assert dry == effect_lines(capsys.readouterr().out)
