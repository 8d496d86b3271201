"""The first apply with a domain and no Route 53 zone: provision requests the certificates alone, prints
their validation records, waits for a person's word, then applies the rest (docs/runbook.md)."""

import json
import re

import pytest
from conftest import REGION, SLUG, STAGING_ACCOUNT, commands, make_config
from invoke import Exit, MockContext, Result

from tasks import terraform
from tasks.terraform import awaited_validations, certificates_first

LB = "module.service.module.load_balancer"
EDGE = "module.service.module.edge"
RECORD = {"name": "_abc.staging.api.example.org.", "type": "CNAME", "value": "_xyz.acm-validations.aws."}


def change(module, kind, name, actions=("create",), after=None, after_unknown=None):
    """One entry of `terraform show -json`'s resource_changes (the fields the task reads)."""
    return {
        "address": f"{module}.{kind}.{name}[0]",
        "module_address": module,
        "type": kind,
        "name": name,
        "change": {"actions": list(actions), "after": after or {}, "after_unknown": after_unknown or {}},
    }


def plan(*changes):
    return {"format_version": "1.2", "resource_changes": list(changes)}


NO_ZONE_FIRST_APPLY = plan(
    change(LB, "aws_acm_certificate", "this"),
    change(LB, "aws_acm_certificate_validation", "this", after={"validation_record_fqdns": None}),
    change(EDGE, "aws_acm_certificate", "viewer"),
    change(EDGE, "aws_acm_certificate_validation", "viewer", after={"validation_record_fqdns": None}),
    change(LB, "aws_lb", "this"),
)
# With a zone, the validation waits for Route 53 records Terraform creates: their names are unknown at plan time.
ZONE_FIRST_APPLY = plan(
    change(LB, "aws_acm_certificate", "this"),
    change(LB, "aws_route53_record", "validation"),
    change(LB, "aws_acm_certificate_validation", "this", after_unknown={"validation_record_fqdns": True}),
)
# The certificate was requested by the first step; its validation is still to be created.
NO_ZONE_SECOND_RUN = plan(
    change(LB, "aws_acm_certificate_validation", "this", after={"validation_record_fqdns": None}),
    change(LB, "aws_lb", "this"),
)
LATER_APPLY = plan(change(LB, "aws_acm_certificate", "this", actions=("no-op",)), change(LB, "aws_lb", "this"))


@pytest.mark.parametrize(
    ("saved", "first", "awaited"),
    [
        (NO_ZONE_FIRST_APPLY, [f"{LB}.aws_acm_certificate.this", f"{EDGE}.aws_acm_certificate.viewer"], 2),
        (ZONE_FIRST_APPLY, [], 0),
        (NO_ZONE_SECOND_RUN, [], 1),
        (LATER_APPLY, [], 0),
        (plan(), [], 0),
    ],
    ids=["no-zone-first-apply", "route53-zone", "no-zone-certificate-requested", "later-apply", "no-domain"],
)
def test_which_certificates_go_first(saved, first, awaited):
    assert certificates_first(saved) == first
    assert len(awaited_validations(saved)) == awaited


@pytest.fixture(autouse=True)
def terraform_on_path(monkeypatch):
    monkeypatch.setattr("tasks._terraform.shutil.which", lambda name: f"/usr/bin/{name}")


def context(project, saved):
    results = {
        re.compile(r".* plan "): Result(exited=2),
        re.compile(r".* show -json "): Result(json.dumps(saved)),
        re.compile(r".* output -json certificate_validation_records"): Result(json.dumps([RECORD])),
        re.compile(r".*"): Result(""),
    }
    return MockContext(config=make_config(project), run=results)


def expected(project, *steps):
    chdir = f"terraform -chdir={project}/terraform/environments/staging"
    plan, first = f"{project}/.cache/staging.tfplan", f"{project}/.cache/staging-certificates.tfplan"
    return [
        {
            "init": f"{chdir} init -input=false -reconfigure -backend-config=bucket={SLUG}-tfstate-{STAGING_ACCOUNT} "
            f"-backend-config=key=staging/terraform.tfstate -backend-config=region={REGION}",
            "plan": f"{chdir} plan -input=false -detailed-exitcode -lock-timeout=5m -out={plan}",
            "show": f"{chdir} show -json {plan}",
            "plan-certificates": f"{chdir} plan -input=false -detailed-exitcode -lock-timeout=5m -out={first} "
            f"-target={LB}.aws_acm_certificate.this -target={EDGE}.aws_acm_certificate.viewer",
            "apply-certificates": f"{chdir} apply -input=false -lock-timeout=5m {first}",
            "records": f"{chdir} output -json certificate_validation_records",
            "apply": f"{chdir} apply -input=false -lock-timeout=5m {plan}",
        }[step]
        for step in steps
    ]


def answers(monkeypatch, *given):
    asked, replies = [], list(given)
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or replies.pop(0))
    return asked


def test_first_apply_without_a_zone_requests_the_certificates_then_waits_for_the_records(
    aws, project, monkeypatch, capsys
):
    asked = answers(monkeypatch, "yes", "yes")
    ctx = context(project, NO_ZONE_FIRST_APPLY)
    terraform.provision(ctx, env="staging")
    assert commands(ctx) == expected(
        project, "init", "plan", "show", "plan-certificates", "apply-certificates", "records", "plan", "apply"
    )
    assert asked == [
        "Apply this plan to staging? Type 'yes': ",
        "Created them? Type 'yes' to apply the rest (it waits until ACM has issued the certificate): ",
    ]
    printed = capsys.readouterr().out
    assert (
        "Create these DNS records at the domain's DNS provider "
        "(`terraform output -json certificate_validation_records`):\n"
        "name                           type   value\n"
        "_abc.staging.api.example.org.  CNAME  _xyz.acm-validations.aws."
    ) in printed


@pytest.mark.parametrize("how", ["answered-no", "auto-approve"])
def test_records_not_yet_created_stop_after_the_certificates(aws, project, monkeypatch, how):
    answers(monkeypatch, "yes", "no")
    ctx = context(project, NO_ZONE_FIRST_APPLY)
    with pytest.raises(Exit) as error:
        terraform.provision(ctx, env="staging", auto_approve=how == "auto-approve")
    assert error.value.message == (
        "The certificate is requested; nothing else was applied. Create the records above, then run "
        "`invoke provision --env staging` again."
    )
    steps = ["init", "plan", "show", "plan-certificates", "apply-certificates", "records"]
    assert commands(ctx) == expected(project, *steps)


def test_the_second_run_shows_the_records_it_waits_for_and_applies(aws, project, monkeypatch, capsys):
    answers(monkeypatch, "yes")
    ctx = context(project, NO_ZONE_SECOND_RUN)
    terraform.provision(ctx, env="staging")
    assert commands(ctx) == expected(project, "init", "plan", "show", "records", "apply")
    assert "The apply waits until ACM sees these DNS records" in capsys.readouterr().out


def test_with_a_route53_zone_the_first_apply_is_one_step(aws, project, monkeypatch):
    answers(monkeypatch, "yes")
    ctx = context(project, ZONE_FIRST_APPLY)
    terraform.provision(ctx, env="staging")
    assert commands(ctx) == expected(project, "init", "plan", "show", "apply")
