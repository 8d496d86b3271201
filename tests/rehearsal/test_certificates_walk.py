"""A domain without a Route 53 zone: the first provision must request the certificates alone, show
their records and wait for a person before the apply that waits for ACM — SETUP.md's step 4 as
written, walked up to that step."""

from __future__ import annotations

from conftest import fresh, walked
from guide import Step, setup_steps

DOMAIN = {"domain_name": "api.example.org"}


def test_first_provision_with_a_domain_and_no_zone_runs_in_two_steps(tmp_path):
    project = fresh(tmp_path, **DOMAIN)
    steps = setup_steps(project)
    provision = next(step for step in steps if step.title == "First provision of each environment")
    walk = walked(project, tmp_path / "walk", steps[: steps.index(provision) + 1])
    walk.close()
    assert walk.failure is None, walk.failure
    assert "it requests the certificates alone" in (project / ".github" / "SETUP.md").read_text()
    staging = next(ran for ran in walk.ran if ran.command == "invoke provision --env staging")
    assert "Create these DNS records at the domain's DNS provider" in staging.output
    assert "_rehearsal.example.  CNAME  _rehearsal.acm-validations.aws." in staging.output
    calls = [c[1:] for c in walk.terraform_calls() if c[0].endswith("/environments/staging")]
    assert [c[0] for c in calls] == ["init", "plan", "show", "plan", "apply", "output", "plan", "apply"]
    assert [a for a in calls[3] if a.startswith("-target=")] == [
        "-target=module.service.module.load_balancer.aws_acm_certificate.this",
        "-target=module.service.module.edge.aws_acm_certificate.viewer",
    ]


def test_a_provision_without_the_first_step_deadlocks(tmp_path):
    """The same walk with a task that does not read its plan (as before the two steps) fails at the
    apply that would wait forever."""
    project = fresh(tmp_path, **DOMAIN)
    task = project / "tasks" / "terraform.py"
    reading = "plan = {} if env.fx.dry else tf.show(str(path))"
    assert reading in task.read_text()
    task.write_text(task.read_text().replace(reading, "plan = {}"))
    steps = [
        Step(3, "Bootstrap each account", "an administrator", ["invoke bootstrap --env staging"]),
        Step(4, "First provision of each environment", "an administrator", ["invoke provision --env staging"]),
    ]
    walk = walked(project, tmp_path / "walk", steps)
    walk.close()
    assert walk.failure.startswith(
        "step 4 (First provision of each environment): `invoke provision --env staging` failed"
    )
    assert "the apply waits for certificate validation records nobody could create yet" in walk.failure
