"""doctor: tool probes (Terraform >= 1.10, cosign, the Docker daemon), STS identity and the state bucket (moto)."""

import json
import re

import pytest
from conftest import STAGING_ACCOUNT, create_bucket, make_config, s3_client
from invoke import Exit, MockContext, Result

from tasks import doctor
from tasks.doctor import identity_check, rows, tool_check, version_tuple
from tasks.effects import Effects

VERSIONS = {
    "terraform version -json": Result(json.dumps({"terraform_version": "1.11.4"})),
    "kubectl version --client -o json": Result(json.dumps({"clientVersion": {"gitVersion": "v1.37.1"}})),
    "cosign version --json": Result(json.dumps({"gitVersion": "v2.6.1"})),
    "git --version": Result("git version 2.47.3\n"),
    "docker info": Result("Client:\n Version: 29.1.0\nServer:\n Server Version: 29.1.0\n"),
    "aws --version": Result("aws-cli/2.31.0 Python/3.13.7 Linux/6.1 exe/x86_64\n"),
    "session-manager-plugin --version": Result("1.2.707.0\n"),
    "nox --version": Result("2026.10.20\n"),
}
# What an operator's machine has after `pip install -e '.[ops]'` plus Terraform and cosign: no Docker,
# no AWS CLI, no nox.
OPS_ONLY = {
    **VERSIONS,
    **{
        command: Result(exited=127)
        for command in ("docker info", "aws --version", "session-manager-plugin --version", "nox --version")
    },
}


def table_rows(printed):
    return {line.split()[0]: line for line in printed.splitlines()[1:] if line.strip()}


def test_rows_show_fixes_for_missing_and_optional():
    assert rows({"git": (True, "2.47"), "cosign": (False, "not found"), "nox": (False, "not found")}) == [
        ("CHECK", "STATUS", "DETAIL", "HOW TO FIX"),
        ("git", "ok", "2.47", ""),
        (
            "cosign",
            "MISSING",
            "not found",
            "install cosign (deploy verifies image signatures): https://docs.sigstore.dev/cosign/system_config/installation/",
        ),
        ("nox", "optional", "not found", "only for the test sessions: pip install -e '.[dev]'"),
    ]


@pytest.mark.parametrize(("text", "parsed"), [("1.9.8", (1, 9, 8)), ("v1.10.0", (1, 10, 0)), ("1.11", (1, 11))])
def test_version_tuple(text, parsed):
    assert version_tuple(text) == parsed


@pytest.mark.parametrize(
    ("stdout", "result"),
    [
        (json.dumps({"terraform_version": "1.10.0"}), (True, "1.10.0")),
        (json.dumps({"terraform_version": "1.9.8"}), (False, "1.9.8 is older than 1.10, which the code needs")),
        ("garbage", (True, "installed (version not understood)")),
    ],
)
def test_terraform_must_be_at_least_1_10(project, stdout, result):
    ctx = MockContext(config=make_config(project), run={re.compile(".*"): Result(stdout)})
    assert tool_check(Effects(ctx), "terraform") == result


def test_a_stopped_docker_daemon_is_reported(project):
    ctx = MockContext(config=make_config(project), run={"docker info": Result(exited=1)})
    assert tool_check(Effects(ctx), "docker daemon") == (False, "`docker info` exited 1")


def test_identity_in_another_account_is_not_ready():
    identity = {"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/me"}
    ok, detail = identity_check(identity, {"staging": "123456789012", "production": "210987654321"})
    assert not ok
    assert detail == (
        "arn:aws:iam::999999999999:user/me is in account 999999999999; "
        "the environments are in production 210987654321, staging 123456789012"
    )
    assert identity_check({"Account": "210987654321", "Arn": "a"}, {"staging": "1", "production": "210987654321"}) == (
        True,
        "a (production)",
    )


def test_everything_ready(aws, project, capsys):
    ctx = MockContext(config=make_config(project), run=dict(VERSIONS))
    p = ctx.config.project
    create_bucket(s3_client(aws), f"{p.slug}-tfstate-{STAGING_ACCOUNT}")
    doctor.doctor(ctx)
    printed = capsys.readouterr().out
    found = table_rows(printed)
    assert "1.11.4" in found["terraform"]
    assert "v2.6.1" in found["cosign"]
    assert "29.1.0" in found["docker"]
    assert " ok " in found["aws"]
    assert f"s3://{p.slug}-tfstate-{STAGING_ACCOUNT}" in found["state"]
    assert printed.rstrip().endswith("Ready to provision and deploy.")


def test_an_ops_only_install_is_ready(aws, project, capsys):
    ctx = MockContext(config=make_config(project), run=dict(OPS_ONLY))
    create_bucket(s3_client(aws), f"{ctx.config.project.slug}-tfstate-{STAGING_ACCOUNT}")
    doctor.doctor(ctx)
    printed = capsys.readouterr().out
    found = table_rows(printed)
    assert found["docker"].split()[:3] == ["docker", "daemon", "optional"]
    assert "only for invoke build/push" in found["docker"]
    assert printed.rstrip().endswith("Ready to provision and deploy.")


def test_missing_tool_and_backend_are_listed_with_fixes(aws, project, capsys):
    results = dict(VERSIONS)
    results["cosign version --json"] = Result(exited=127)
    results["terraform version -json"] = Result(json.dumps({"terraform_version": "1.9.8"}))
    with pytest.raises(Exit) as error:
        doctor.doctor(MockContext(config=make_config(project), run=results))
    assert error.value.message == "Not ready: terraform, cosign, state backend (see HOW TO FIX above)."
    found = table_rows(capsys.readouterr().out)
    assert "MISSING" in found["cosign"]
    assert "1.9.8 is older than 1.10" in found["terraform"]
    assert "invoke bootstrap --env ENV" in found["state"]


def test_without_credentials_says_how_to_log_in(aws, project, monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(Exit, match=r"Not ready: aws credentials, state backend"):
        doctor.doctor(MockContext(config=make_config(project), run=dict(VERSIONS)))
    assert "aws sso login" in table_rows(capsys.readouterr().out)["aws"]
