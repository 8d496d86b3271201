"""local.dev / local.test command lines; db.url (Secrets Manager via moto) and db.migrate (fake API)."""

import json

import pytest
from conftest import commands
from invoke import Exit
from test_k8s import (  # noqa: F401  (the cluster fixture's helpers)
    DIGEST_A,
    DIGEST_B,
    REPO,
    applied,
    cluster,
)

from tasks import db, k8s, local
from tasks.db import database_url


@pytest.mark.parametrize(("kwargs", "last"), [({}, 8000), ({"port": 5001}, 5001)])
def test_dev_upgrades_then_serves(mock_context, kwargs, last):
    context = mock_context()
    local.dev(context, **kwargs)
    package = context.config.project.package
    assert commands(context) == ["alembic upgrade head", f"flask --app {package}.wsgi run --debug --port {last}"]
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


def test_url_reads_the_rds_secret(aws, mock_context, project, capsys):
    arn = aws.client("secretsmanager").create_secret(
        Name="rds!db", SecretString=json.dumps({"username": "app", "password": "pw"})
    )["ARN"]
    cache = project / ".cache" / "outputs-staging.json"
    cache.parent.mkdir()
    cache.write_text(json.dumps({"database_secret_arn": arn, "database_host": "db.internal", "database_name": "svc"}))
    db.url(mock_context(), env="staging", reveal=True)
    assert capsys.readouterr().out.strip() == "postgresql://app:pw@db.internal:5432/svc"


def test_migrate_reruns_the_job_with_the_deployed_image(cluster, capsys):  # noqa: F811
    k8s.deploy(cluster.context, env="staging", image=DIGEST_A)
    cluster.requests.clear()
    db.migrate(cluster.context, env="staging")
    assert ("Job", f"{cluster.slug}-migrate") in applied(cluster)
    assert ("Deployment", cluster.slug) not in applied(cluster)  # the web tier is not touched
    job = cluster.objects[f"/apis/batch/v1/namespaces/{cluster.slug}/jobs/{cluster.slug}-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_A}"
    assert "Migrations of staging are at head." in capsys.readouterr().out


def test_migrate_with_nothing_deployed_is_a_sentence(cluster):  # noqa: F811
    with pytest.raises(Exit, match="Nothing is deployed in staging yet"):
        db.migrate(cluster.context, env="staging")


def test_migrate_with_an_explicit_image(cluster):  # noqa: F811
    db.migrate(cluster.context, env="staging", image=DIGEST_B)
    job = cluster.objects[f"/apis/batch/v1/namespaces/{cluster.slug}/jobs/{cluster.slug}-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == f"{REPO}@{DIGEST_B}"


def test_migrate_dry_run_sends_nothing(cluster, capsys):  # noqa: F811
    cluster.context.config.run.dry = True
    db.migrate(cluster.context, env="staging")
    assert cluster.requests == []
    expected = f"Would replace and run Job {cluster.slug}-migrate in staging with the running image, and wait."
    assert expected in capsys.readouterr().out
