"""deploy against the fake API: the project's real overlays, faults injected, failures rolled back."""

import json

import pytest
from cluster_fixture import DIGEST_A, DIGEST_B, REPO, cluster  # noqa: F401  (the fixture)
from conftest import SLUG
from invoke import Exit

from tasks import deploy
from tasks._rollout import VERIFIED

NS = f"/api/v1/namespaces/{SLUG}"
DEPLOYMENT = f"/apis/apps/v1/namespaces/{SLUG}/deployments/{SLUG}"


def run_deploy(cluster, image=DIGEST_A, dry=False):  # noqa: F811
    deploy.deploy(cluster.context(dry), env="staging", image=image, kubeconfig=cluster.kubeconfig)


def test_deploy_verifies_migrates_with_only_what_the_job_needs_then_rolls_out(cluster, capsys):  # noqa: F811
    run_deploy(cluster)
    applied = cluster.applied()
    config = next(name for kind, name in applied if kind == "ConfigMap")
    assert applied[:3] == [("ServiceAccount", SLUG), ("ConfigMap", config), ("Job", f"{SLUG}-migrate")]
    assert {kind for kind, _ in applied[3:]} == {
        "Service",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    repository = cluster.context().config.project.github_repository
    assert cluster.cosign_calls == [
        f"verify --certificate-identity https://github.com/{repository}/.github/workflows/deploy.yml@refs/heads/main "
        f"--certificate-oidc-issuer https://token.actions.githubusercontent.com {REPO}@{DIGEST_A}"
    ]
    login = json.loads((cluster.cosign_dir / "docker-config.json").read_text())
    assert list(login["auths"]) == [REPO.split("/")[0]]  # cosign reads the registry with an ECR token
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    job = cluster.object(f"/apis/batch/v1/namespaces/{SLUG}/jobs", f"{SLUG}-migrate")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_A}"
    configmap = cluster.object(f"{NS}/configmaps", config)
    assert configmap["data"]["DATABASE_HOST"] == "db.internal"
    assert configmap["data"]["DATABASE_USER"] == f"{SLUG.replace('-', '_')}_app"  # from the Terraform output
    proxy = [r["path"] for r in cluster.fake.requests if "/proxy/" in r["path"]]
    assert proxy == [f"{NS}/services/{SLUG}:http/proxy/readyz"]
    deployed = cluster.fake.objects[DEPLOYMENT]
    assert deployed["metadata"]["annotations"][VERIFIED]  # recorded as the last good revision
    printed = capsys.readouterr().out
    assert "  rollout: 2/2 updated, 2 available, 0 old remaining" in printed
    assert printed.rstrip().endswith(f"Deployed to staging: {REPO}@{DIGEST_A}.")


def test_an_unsigned_image_touches_nothing(cluster):  # noqa: F811
    cluster.cosign_fails()
    with pytest.raises(Exit) as error:
        run_deploy(cluster)
    assert error.value.message.startswith(f"The signature of {REPO}@{DIGEST_A} does not verify as signed by https://")
    assert cluster.fake.requests == []


def test_failed_migration_changes_nothing_the_running_version_uses(cluster, capsys):  # noqa: F811
    cluster.fake.job_outcome = "Failed"
    with pytest.raises(Exit) as error:
        run_deploy(cluster)
    assert error.value.message == (
        f"Migration job {SLUG}-migrate failed: failed: no reason given; the running version was left untouched."
    )
    assert {kind for kind, _ in cluster.applied()} == {"ServiceAccount", "ConfigMap", "Job"}
    assert "--- logs of web-1 ---\nline one" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        ("rollout_ok", "the rollout failed: progress deadline exceeded (1/2 updated"),
        ("readyz", "the smoke test GET /readyz kept failing for 0.5s"),
    ],
)
def test_failed_rollout_or_smoke_test_rolls_back_and_watches_it(cluster, break_it, reason, capsys):  # noqa: F811
    run_deploy(cluster)
    setattr(cluster.fake, break_it, False if break_it == "rollout_ok" else [503])
    cluster.fake.requests.clear()
    with pytest.raises(Exit) as error:
        run_deploy(cluster, DIGEST_B)
    assert error.value.message.startswith(f"Deploy to staging failed: {reason}")
    assert error.value.message.endswith(
        "; rolled back to revision 1, the last one that passed its smoke test, which is healthy."
    )
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    undo = [r for r in cluster.fake.requests if r["content_type"] == "application/json-patch+json"]
    assert [op["path"] for op in undo[0]["body"]] == ["/spec/template"]
    after_undo = cluster.fake.requests[cluster.fake.requests.index(undo[0]) + 1 :]
    assert any(r["method"] == "GET" and r["path"] == DEPLOYMENT for r in after_undo)  # the rollback was watched
    assert f"rollout of Deployment {SLUG}/{SLUG} back to revision 1" in capsys.readouterr().out


def test_a_rollback_that_fails_too_says_the_environment_needs_attention(cluster):  # noqa: F811
    run_deploy(cluster)
    cluster.fake.rollout_ok = False
    cluster.fake.rollback_ok = False
    with pytest.raises(Exit) as error:
        run_deploy(cluster, DIGEST_B)
    assert error.value.message.endswith(
        "; the rollback to revision 1 also failed (failed: progress deadline exceeded (1/2 updated, 2 available, "
        "2 old remaining)): the environment needs attention, see `invoke status --env staging`."
    )


def test_failed_first_deploy_has_nothing_to_roll_back_to(cluster):  # noqa: F811
    cluster.fake.rollout_ok = False
    with pytest.raises(Exit, match="no revision has passed a smoke test yet, so there was nothing to roll back to"):
        run_deploy(cluster)


def test_the_smoke_test_is_retried_within_its_window(cluster, capsys):  # noqa: F811
    cluster.fake.readyz = [503, 503, 200]
    run_deploy(cluster)
    printed = capsys.readouterr().out
    assert printed.count("smoke test: /readyz answered HTTP 503: database unavailable; trying again") == 2
    assert "smoke test: /readyz answered 200 (try 3)" in printed


@pytest.mark.parametrize(
    ("fault", "retried"),
    [
        (lambda fake: fake.burst(503, 3), "HTTP 503"),
        (lambda fake: fake.burst(429, 2, retry_after="0"), "HTTP 429"),
        (lambda fake: fake.drop(2), "connection failed"),
    ],
    ids=["503-burst", "429-burst", "dropped-connections"],
)
@pytest.mark.parametrize("when", ["first request", "during the rollout"])
def test_deploy_survives_api_blips(cluster, capsys, fault, retried, when):  # noqa: F811
    if when == "during the rollout":
        cluster.fake.rollout_polls = 2
        original = cluster.fake.roll

        def roll_then_fault(*args, **kwargs):
            original(*args, **kwargs)
            fault(cluster.fake)

        cluster.fake.roll = roll_then_fault
    else:
        fault(cluster.fake)
    run_deploy(cluster)
    assert cluster.deployed_image() == f"{REPO}@{DIGEST_A}"
    assert f"Kubernetes API: {retried}" in capsys.readouterr().out


def test_a_long_outage_ends_in_one_sentence(cluster):  # noqa: F811
    cluster.fake.burst(503, 1000)
    with pytest.raises(Exit) as error:
        run_deploy(cluster)
    assert error.value.message.startswith("The Kubernetes API refused GET ")
    assert ": HTTP 503: injected fault" in error.value.message


def test_slow_rollout_reports_progress(cluster, capsys):  # noqa: F811
    cluster.fake.rollout_polls = 3
    cluster.fake.job_polls = 2
    run_deploy(cluster)
    printed = capsys.readouterr().out
    assert "  migration: 1 running, 0 failed attempts" in printed
    assert "  rollout: 1/2 updated, 0 available, 2 old remaining" in printed


def test_redeploy_prunes_what_the_overlay_dropped_and_keeps_configmaps_rollbacks_need(cluster):  # noqa: F811
    run_deploy(cluster)
    stale = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "removed-from-the-overlay", "namespace": SLUG},
        "spec": {"podSelector": {}},
    }
    policies = f"/apis/networking.k8s.io/v1/namespaces/{SLUG}/networkpolicies"
    cluster.fake.apply(f"{policies}/removed-from-the-overlay", stale, "invoke-deploy")
    foreign = {**stale, "metadata": {"name": "someone-elses", "namespace": SLUG}}
    cluster.fake.apply(f"{policies}/someone-elses", foreign, "kubectl")
    orphan = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{SLUG}-config-old", "namespace": SLUG}}
    cluster.fake.apply(f"{NS}/configmaps/{SLUG}-config-old", orphan, "invoke-deploy")
    first_config = next(name for kind, name in cluster.applied() if kind == "ConfigMap")
    env_file = cluster.project / "k8s" / "overlays" / "staging" / "config.env"
    env_file.write_text(env_file.read_text() + "LOG_LEVEL=DEBUG\n")  # a new hashed ConfigMap
    run_deploy(cluster, DIGEST_B)
    deleted = [r["path"] for r in cluster.fake.requests if r["method"] == "DELETE"]
    assert f"{policies}/removed-from-the-overlay" in deleted
    assert f"{NS}/configmaps/{SLUG}-config-old" in deleted
    assert f"{policies}/someone-elses" not in deleted  # applied by someone else
    assert f"{NS}/configmaps/{first_config}" in cluster.fake.objects  # revision 1 still reads it


def test_missing_namespace_says_to_run_cluster_setup(cluster):  # noqa: F811
    del cluster.fake.objects[NS]
    with pytest.raises(Exit) as error:
        run_deploy(cluster)
    assert error.value.message == (
        f"Namespace {SLUG} does not exist in the cluster: a cluster administrator runs "
        "`invoke cluster.setup --env ENV` first."
    )


def test_deploy_unknown_env_lists_valid_names(cluster):  # noqa: F811
    with pytest.raises(Exit) as error:
        deploy.deploy(cluster.context(), env="nope", image=DIGEST_A)
    assert error.value.message == (
        "--env 'nope' is not an environment; choose one of: production, staging (or, with --kubeconfig, e2e)."
    )
    assert cluster.fake.requests == []


def test_a_cluster_only_environment_deploys_its_overlays_image_without_terraform(cluster, capsys):  # noqa: F811
    deploy.deploy(cluster.context(), env="e2e", kubeconfig=cluster.kubeconfig)
    applied = cluster.applied()
    job = applied.index(("Job", f"{SLUG}-migrate"))
    assert applied.index(("Deployment", "postgres")) < job  # the in-cluster database first, then migrations
    assert cluster.deployed_image() == f"kind-registry:5000/{SLUG}:e2e"
    assert cluster.cosign_calls == []  # nothing to verify: the image was built in the workflow
    assert "rollout of Deployment " + SLUG + "/postgres" in capsys.readouterr().out


def test_a_cluster_only_environment_runs_a_given_digest_unverified(cluster, capsys):  # noqa: F811
    image = f"kind-registry:5000/{SLUG}@{DIGEST_B}"
    deploy.deploy(cluster.context(), env="e2e", image=image, kubeconfig=cluster.kubeconfig)
    assert cluster.deployed_image() == image
    assert cluster.cosign_calls == []
    assert f"Not verifying {image}: e2e has no Terraform, so no registry or signer" in capsys.readouterr().out


def test_a_cluster_only_environment_needs_the_images_repository(cluster):  # noqa: F811
    with pytest.raises(Exit) as error:
        deploy.deploy(cluster.context(), env="e2e", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    assert error.value.message == "--image for e2e must name its repository: pass <repository>@sha256:<64 hex>."
    assert cluster.fake.requests == []


def test_a_cluster_only_environment_needs_a_kubeconfig(cluster):  # noqa: F811
    with pytest.raises(Exit) as error:
        deploy.deploy(cluster.context(), env="e2e")
    assert (
        error.value.message
        == "--env e2e has no Terraform (no terraform/environments/e2e): pass --kubeconfig to reach it."
    )
