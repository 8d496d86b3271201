"""local.dev / local.test command lines; db.url (Secrets Manager via moto) and db.migrate (fake API)."""

import json

import pytest
from cluster_fixture import DIGEST_A, DIGEST_B, REPO, cluster  # noqa: F401  (the fixture)
from conftest import SLUG, commands, make_config, put_state
from invoke import Context, Exit

from tasks import db, deploy, local
from tasks.db import database_url

JOB = f"/apis/batch/v1/namespaces/{SLUG}/jobs/{SLUG}-migrate"


@pytest.mark.parametrize(("kwargs", "last"), [({}, 8000), ({"port": 5001}, 5001)])
def test_dev_upgrades_then_serves(mock_context, kwargs, last):
    context = mock_context()
    local.dev(context, **kwargs)
    package = context.config.project.package
    assert commands(context) == [
        f"flask --app {package}.wsgi db-upgrade",
        f"flask --app {package}.wsgi run --debug --port {last}",
    ]
    assert context.run.call_args_list[1].kwargs["env"] == {"APP_ENV": "development"}


@pytest.mark.parametrize(
    ("session", "line"),
    [
        (None, "nox --session tests lint typing"),
        ("tests", "nox --session tests"),
        ("lint, iac", "nox --session lint iac"),
    ],
)
def test_test_runs_nox_sessions(mock_context, session, line):
    context = mock_context()
    local.test(context, **({} if session is None else {"session": session}))
    assert commands(context) == [line]


def test_database_url_masks_the_password_unless_revealed():
    secret = {"username": "app", "password": "p@ss/word"}
    assert database_url("db.internal", "5432", "svc", secret) == "postgresql://app:****@db.internal:5432/svc"
    assert database_url("db.internal", "5432", "svc", secret, reveal=True) == (
        "postgresql://app:p%40ss%2Fword@db.internal:5432/svc"
    )


def test_url_reads_the_rds_secret(aws, project, capsys):
    arn = aws.client("secretsmanager").create_secret(
        Name="rds!db", SecretString=json.dumps({"username": "app", "password": "pw"})
    )["ARN"]
    put_state(aws, {"database_secret_arn": arn, "database_host": "db.internal", "database_name": "svc"})
    db.url(Context(config=make_config(project)), env="staging", reveal=True)
    assert capsys.readouterr().out.strip() == "postgresql://app:pw@db.internal:5432/svc"


def test_migrate_reruns_the_job_with_the_deployed_image_and_nothing_else(cluster, capsys):  # noqa: F811
    deploy.deploy(cluster.context(), env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    cluster.fake.requests.clear()
    db.migrate(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    assert {kind for kind, _ in cluster.applied()} == {"ServiceAccount", "ConfigMap", "Job"}
    job = cluster.fake.objects[JOB]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_A}"
    assert capsys.readouterr().out.rstrip().endswith("Migrations of staging are at head; the web tier was not touched.")


def test_migrate_with_nothing_deployed_is_a_sentence(cluster):  # noqa: F811
    with pytest.raises(Exit) as error:
        db.migrate(cluster.context(), env="staging", kubeconfig=cluster.kubeconfig)
    assert error.value.message == "Nothing is deployed in staging yet: pass --image sha256:… or run `invoke deploy`."


def test_migrate_with_an_explicit_image_verifies_it(cluster):  # noqa: F811
    db.migrate(cluster.context(), env="staging", image=DIGEST_B, kubeconfig=cluster.kubeconfig)
    job = cluster.fake.objects[JOB]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_B}"
    assert cluster.cosign_calls[-1].endswith(f"{REPO}@{DIGEST_B}")


def test_migrate_survives_a_503_burst_and_a_slow_job(cluster, capsys):  # noqa: F811
    cluster.fake.burst(503, 3)
    cluster.fake.job_polls = 3
    db.migrate(cluster.context(), env="staging", image=DIGEST_A, kubeconfig=cluster.kubeconfig)
    printed = capsys.readouterr().out
    assert "Kubernetes API: HTTP 503" in printed
    assert "  migration: 1 running, 0 failed attempts" in printed
    assert "  migration: complete" in printed
