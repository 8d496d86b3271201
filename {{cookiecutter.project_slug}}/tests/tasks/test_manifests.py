"""Rendering the overlays (kubectl kustomize) and the pure choices about rendered objects."""

import pytest
import yaml
from cluster_fixture import DIGEST_A, DIGEST_B, REPO, kubectl_or_skip
from conftest import ROOT, SLUG, make_config
from invoke import Context, Exit

from tasks._kube import object_path
from tasks._manifests import (
    applied_by,
    apply_order,
    fill_env_file,
    find,
    migration_objects,
    parse_image,
    prune_candidates,
    referenced,
    render,
    set_image,
)
from tasks.effects import Effects


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
    with pytest.raises(Exit) as error:
        parse_image(REPO, image)
    assert error.value.message == (
        f"--image {image!r} is not a digest: pass sha256:<64 hex> or <repository>@sha256:<64 hex> "
        "(deploys are by digest so every environment runs the same bytes)."
    )


def test_set_image_replaces_the_entry_like_kustomize_edit():
    kustomization = {
        "resources": ["../../base"],
        "images": [{"name": "app", "newName": REPO}, {"name": "other", "newTag": "1"}],
    }
    entry = {"name": "app", "newName": REPO, "digest": DIGEST_A}
    assert set_image(kustomization, entry)["images"] == [{"name": "other", "newTag": "1"}, entry]
    assert set_image({}, entry) == {"images": [entry]}


def test_fill_env_file_sets_existing_keys_keeps_comments_and_appends_missing():
    text = "APP_ENV=staging\n# DATABASE_HOST= is filled by deploy\nDATABASE_HOST=\n"
    assert fill_env_file(text, {"DATABASE_HOST": "db.internal", "DATABASE_SECRET_ID": "arn:x"}) == (
        "APP_ENV=staging\n# DATABASE_HOST= is filled by deploy\nDATABASE_HOST=db.internal\nDATABASE_SECRET_ID=arn:x\n"
    )


def obj(kind, name, namespace="ns", labels=None, api="v1", **rest):
    meta = {"name": name, "namespace": namespace, **({"labels": labels} if labels else {})}
    return {"apiVersion": api, "kind": kind, "metadata": meta, **rest}


POD = {
    "serviceAccountName": "svc",
    "containers": [
        {
            "name": "migrate",
            "envFrom": [{"configMapRef": {"name": "config-1"}}, {"secretRef": {"name": "creds"}}],
            "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "extra", "key": "x"}}}],
        }
    ],
    "volumes": [{"name": "ca", "configMap": {"name": "bundle"}}, {"name": "s", "secret": {"secretName": "tls"}}],
}


def test_referenced_reads_env_from_env_and_volumes():
    assert referenced(POD, "ConfigMap") == {"config-1", "extra", "bundle"}
    assert referenced(POD, "Secret") == {"creds", "tls"}


def test_the_migration_needs_its_account_its_configuration_and_an_in_cluster_database_only():
    job = obj("Job", "migrate", api="batch/v1", spec={"template": {"spec": POD}})
    docs = [
        obj("Namespace", "ns", namespace=None),
        obj("ServiceAccount", "svc"),
        obj("ServiceAccount", "other"),
        obj("ConfigMap", "config-1"),
        obj("ConfigMap", "config-0"),
        obj("ConfigMap", "bundle"),
        obj("Secret", "creds"),
        obj("Service", "web"),
        obj("Deployment", "web", api="apps/v1"),
        obj("Deployment", "postgres", api="apps/v1", labels={"app.kubernetes.io/component": "database"}),
        obj("NetworkPolicy", "default-deny", api="networking.k8s.io/v1"),
        job,
    ]
    assert [(d["kind"], d["metadata"]["name"]) for d in migration_objects(docs, job)] == [
        ("ServiceAccount", "svc"),
        ("ConfigMap", "config-1"),
        ("ConfigMap", "bundle"),
        ("Secret", "creds"),
        ("Deployment", "postgres"),
        ("Job", "migrate"),
    ]


def test_cluster_scoped_objects_are_applied_first():
    docs = [obj("Deployment", "a", api="apps/v1"), obj("ClusterRole", "r", namespace=None), obj("Namespace", "n", None)]
    assert [d["kind"] for d in apply_order(docs)] == ["ClusterRole", "Namespace", "Deployment"]


def managed(kind, name, manager="invoke-deploy", owners=None):
    meta = {"name": name, "managedFields": [{"manager": manager, "operation": "Apply"}]}
    if owners:
        meta["ownerReferences"] = owners
    return {"kind": kind, "metadata": meta}


@pytest.mark.parametrize(
    ("live", "applied"),
    [
        (managed("ConfigMap", "c"), True),
        (managed("ConfigMap", "c", manager="kubectl"), False),
        (managed("Job", "j", owners=[{"uid": "cronjob"}]), False),
        ({"kind": "ConfigMap", "metadata": {"name": "c"}}, False),
    ],
)
def test_applied_by_means_this_tool_applied_it_and_no_controller_owns_it(live, applied):
    assert applied_by(live) is applied


def test_prune_candidates_keep_what_is_rendered_foreign_or_still_read_by_a_revision():
    live = [
        managed("NetworkPolicy", "kept"),
        managed("NetworkPolicy", "dropped"),
        managed("NetworkPolicy", "someone-elses", manager="kubectl"),
        managed("ConfigMap", "config-new"),
        managed("ConfigMap", "config-previous"),
        managed("ConfigMap", "config-ancient"),
    ]
    docs = [obj("NetworkPolicy", "kept"), obj("ConfigMap", "config-new")]
    doomed = prune_candidates(live, docs, in_use={"config-previous"})
    assert [(d["kind"], d["metadata"]["name"]) for d in doomed] == [
        ("NetworkPolicy", "dropped"),
        ("ConfigMap", "config-ancient"),
    ]


def test_render_sets_the_digest_and_settings_in_a_scratch_copy(project):
    kubectl_or_skip()
    base, overlay = project / "k8s" / "base", project / "k8s" / "overlays" / "staging"
    base.mkdir(parents=True)
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
    fx = Effects(Context(config=make_config(project)))
    settings = {"DATABASE_HOST": "db.internal", "DATABASE_SECRET_ID": "arn:aws:secretsmanager:s"}
    image = {"name": "app", "newName": REPO, "digest": DIGEST_A}
    docs = render(fx, project / "k8s", "overlays/staging", [image], settings)
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_A}"
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert config["data"] == settings
    assert (overlay / "kustomization.yaml").read_text() == kustomization  # the checkout is untouched


def test_a_missing_overlay_is_a_sentence(project):
    with pytest.raises(Exit) as error:
        render(Effects(Context(config=make_config(project))), project / "k8s", "overlays/qa")
    assert (
        error.value.message == "k8s/overlays/qa/kustomization.yaml does not exist: every environment needs an overlay."
    )


@pytest.mark.parametrize("env", ["staging", "production"])
def test_the_projects_own_overlays_render_as_deploy_renders_them(env):
    kubectl_or_skip()
    fx = Effects(Context(config=make_config(ROOT)))
    image = {"name": "app", "newName": REPO, "digest": DIGEST_A}
    docs = render(fx, ROOT / "k8s", f"overlays/{env}", [image], {"DATABASE_HOST": "db.internal"})
    for kind, name in (("Deployment", SLUG), ("Job", f"{SLUG}-migrate")):
        images = {c["image"] for c in find(docs, kind, name)["spec"]["template"]["spec"]["containers"]}
        assert images == {f"{REPO}@{DIGEST_A}"}
    assert "Namespace" not in {d["kind"] for d in docs}  # cluster.setup applies it
    for doc in docs:
        object_path(doc)  # every rendered kind is one deploy can apply


@pytest.mark.parametrize("env", ["staging", "production", "e2e"])
def test_the_projects_cluster_overlays_render(env):
    kubectl_or_skip()
    docs = render(Effects(Context(config=make_config(ROOT))), ROOT / "k8s", f"cluster/overlays/{env}")
    assert find(docs, "Namespace", SLUG)
    for doc in docs:
        object_path(doc)
