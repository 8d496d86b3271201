"""doctor: tool probes, STS identity and the state bucket (moto), one table with fixes."""

import json
import re

import pytest
from conftest import create_bucket
from invoke import Exit, Result

from tasks import doctor
from tasks.doctor import FIXES, identity_check, rows

VERSIONS = {
    "terraform version -json": Result(json.dumps({"terraform_version": "1.11.4"})),
    "kubectl version --client -o json": Result(json.dumps({"clientVersion": {"gitVersion": "v1.37.1"}})),
    "docker --version": Result("Docker version 29.1.0, build abc\n"),
    "git --version": Result("git version 2.47.3\n"),
    "nox --version": Result("2026.10.20\n"),
}


def table_rows(printed):
    return {line.split()[0]: line for line in printed.splitlines()[1:] if line.strip()}


def test_rows_show_fixes_only_for_missing():
    assert rows({"git": (True, "2.47"), "docker": (False, "not found")}) == [
        ("CHECK", "STATUS", "DETAIL", "HOW TO FIX"),
        ("git", "ok", "2.47", ""),
        ("docker", "MISSING", "not found", FIXES["docker"]),
    ]


def test_identity_in_another_account_is_not_ready():
    ok, detail = identity_check({"Account": "999999999999", "Arn": "arn:aws:iam::999999999999:user/me"}, "123456789012")
    assert not ok
    assert detail == "arn:aws:iam::999999999999:user/me is in account 999999999999, the project deploys to 123456789012"


def test_everything_ready(aws, mock_context, capsys):
    context = mock_context(run=dict(VERSIONS))
    p = context.config.project
    create_bucket(aws, f"{p.slug}-tfstate-{p.account_id}")
    doctor.doctor(context)
    printed = capsys.readouterr().out
    found = table_rows(printed)
    assert "1.11.4" in found["terraform"]
    assert "v1.37.1" in found["kubectl"]
    assert "29.1.0" in found["docker"]
    assert " ok " in found["aws"]
    assert "arn:aws" in found["aws"]
    assert f"s3://{p.slug}-tfstate-{p.account_id}" in found["state"]
    assert printed.rstrip().endswith("Ready to provision and deploy.")


def test_missing_tool_and_backend_are_listed_with_fixes(aws, mock_context, capsys):
    results = dict(VERSIONS)
    results["docker --version"] = Result(exited=127)
    context = mock_context(run=results)
    with pytest.raises(Exit) as error:
        doctor.doctor(context)
    assert error.value.message == "Not ready: docker, state backend (see HOW TO FIX above)."
    found = table_rows(capsys.readouterr().out)
    assert "MISSING" in found["docker"]
    assert FIXES["docker"] in found["docker"]
    assert "MISSING" in found["state"]
    assert "invoke bootstrap" in found["state"]


def test_without_credentials_says_how_to_log_in(aws, mock_context, monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(Exit, match=r"Not ready: aws credentials, state backend"):
        doctor.doctor(mock_context(run=dict(VERSIONS)))
    found = table_rows(capsys.readouterr().out)
    assert "aws sso login" in found["aws"]


def test_unparseable_version_is_still_installed(mock_context):
    context = mock_context(run={re.compile(".*"): Result("garbage")})
    assert doctor.tool_check(context, "terraform") == (True, "installed (version not understood)")
