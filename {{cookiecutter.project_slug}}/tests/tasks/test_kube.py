"""The Kubernetes client: paths, retries with backoff through 429/5xx/connection errors, one-sentence failures."""

import pytest
from conftest import make_config
from invoke import Context, Exit

from tasks._kube import Kube, Retry, collection_path, describe, object_path
from tasks.effects import Effects


def test_paths_of_core_and_group_kinds():
    assert collection_path("v1", "Namespace", None) == "/api/v1/namespaces"
    assert (
        object_path({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "svc", "namespace": "ns"}})
        == "/apis/apps/v1/namespaces/ns/deployments/svc"
    )
    assert collection_path("autoscaling/v2", "HorizontalPodAutoscaler", "ns") == (
        "/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers"
    )
    assert collection_path("rbac.authorization.k8s.io/v1", "ClusterRole", None) == (
        "/apis/rbac.authorization.k8s.io/v1/clusterroles"
    )


def test_describe_names_the_namespace_when_there_is_one():
    assert describe({"kind": "Job", "metadata": {"name": "m", "namespace": "ns"}}) == "Job ns/m"
    assert describe({"kind": "ClusterRole", "metadata": {"name": "ca"}}) == "ClusterRole ca"


def test_unknown_kind_is_a_sentence():
    with pytest.raises(Exit, match=r"Kind Gateway is not known to tasks/_kube\.py"):
        collection_path("gateway.networking.k8s.io/v1", "Gateway", "ns")


@pytest.mark.parametrize(
    ("attempt", "retry_after", "pause"),
    [(1, None, 0.5), (2, None, 1.0), (3, None, 2.0), (5, None, 8.0), (9, None, 8.0), (1, "3", 3.0), (1, "120", 8.0)],
)
def test_pauses_double_up_to_the_longest_and_honour_retry_after(attempt, retry_after, pause):
    assert Retry(budget=60, first=0.5, longest=8).pause(attempt, retry_after) == pause


@pytest.fixture
def kube(fake_kube, project):
    return Kube.from_dict(fake_kube.kubeconfig(), Effects(Context(config=make_config(project))), retry=Retry(3, 0.01))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_burst_of_retried_statuses_is_ridden_out(fake_kube, kube, capsys, status):
    fake_kube.burst(status, 3)
    assert kube.get("/api/v1/namespaces/x") is None  # then the real answer: 404
    assert len(fake_kube.requests) == 4
    assert capsys.readouterr().out.count(f"Kubernetes API: HTTP {status} on GET /api/v1/namespaces/x; retrying") == 3


def test_dropped_connections_are_retried(fake_kube, kube, capsys):
    fake_kube.drop(2)
    assert kube.get("/api/v1/namespaces/x") is None
    assert "Kubernetes API: connection failed" in capsys.readouterr().out


@pytest.mark.parametrize("status", [400, 403, 409, 422])
def test_other_statuses_are_not_retried(fake_kube, kube, status):
    fake_kube.burst(status, 1)
    with pytest.raises(Exit) as error:
        kube.get("/api/v1/namespaces/x")
    assert error.value.message == f"The Kubernetes API refused GET /api/v1/namespaces/x: HTTP {status}: injected fault"
    assert len(fake_kube.requests) == 1


def test_retrying_stops_when_the_budget_is_spent(fake_kube, project):
    fake_kube.burst(503, 100)
    kube = Kube.from_dict(fake_kube.kubeconfig(), Effects(Context(config=make_config(project))), retry=Retry(0.2, 0.05))
    with pytest.raises(Exit) as error:
        kube.get("/api/v1/namespaces/x")
    assert error.value.message == "The Kubernetes API refused GET /api/v1/namespaces/x: HTTP 503: injected fault"
    assert 2 <= len(fake_kube.requests) <= 5


def test_token_is_refreshed_for_long_waits(fake_kube, project):
    fx = Effects(Context(config=make_config(project)))
    kube = Kube.from_dict(fake_kube.kubeconfig(), fx, token_source=lambda: "k8s-aws-v1.fresh", refresh_after=0)
    kube.get("/api/v1/namespaces/x")
    assert fake_kube.requests[-1]["authorization"] == "Bearer k8s-aws-v1.fresh"


def test_unreachable_api_server_is_a_sentence(project):
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "x", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
    }
    kube = Kube.from_dict(config, Effects(Context(config=make_config(project))), retry=Retry(0.1, 0.05))
    with pytest.raises(Exit, match=r"^Cannot reach the Kubernetes API at http://127.0.0.1:9: connection failed"):
        kube.get("/api")


def test_a_kubeconfig_file_that_is_not_one_is_a_sentence(tmp_path, project):
    path = tmp_path / "config"
    path.write_text("clusters: []\n")
    with pytest.raises(Exit, match=rf"^--kubeconfig {path} cannot be used: "):
        Kube.from_file(path, Effects(Context(config=make_config(project))))


def test_changes_under_dry_run_send_nothing(fake_kube, project, capsys):
    kube = Kube.from_dict(fake_kube.kubeconfig(), Effects(Context(config=make_config(project, dry=True))))
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    kube.apply(obj)
    assert kube.delete("/api/v1/namespaces/ns/configmaps/c", "ConfigMap ns/c") is True
    assert fake_kube.requests == []
    assert capsys.readouterr().out.splitlines() == [
        "» (dry run) kube: apply ConfigMap ns/c",
        "» (dry run) kube: delete ConfigMap ns/c",
    ]
