"""The workflows' shape, read from the parsed YAML: job graph, digest hand-off, roles, permissions, pins."""

from __future__ import annotations

import re

import pytest
from bakery import OPTIONS
from gha_support import load_yaml

# The release commits these actions are pinned to, read from each repository's tags.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "aws-actions/amazon-ecr-login": ("03f1aad4c6c7ffd436567f42f9384779290529bd", "v2.1.7"),
    "docker/setup-buildx-action": ("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/build-push-action": ("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    "helm/kind-action": ("ef37e7f390d99f746eb8b610417061a60e82a6cc", "v1.14.0"),
}
EXPRESSION = re.compile(r"\$\{\{")


def answer(bake, option: str) -> str:
    default = OPTIONS[option]
    return bake.answers.get(option, default[0] if isinstance(default, list) else default)


def steps_of(bake):
    """(file, job id or None, step) for every step of every workflow and of the composite action."""
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                yield name, job_id, step
    for action in sorted((bake.github / "actions").glob("*/action.yml")):
        for step in load_yaml(action)["runs"]["steps"]:
            yield f"actions/{action.parent.name}", None, step


def test_every_workflow_starts_with_no_permissions(bake):
    for name, workflow in bake.workflows().items():
        assert workflow.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name} job {job_id} must state its permissions"


def test_only_jobs_that_assume_a_role_get_an_id_token(bake):
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            permissions = job["permissions"] or {}
            assumes = any(
                str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
                for s in job.get("steps", [])
            )
            assert (permissions.get("id-token") == "write") == assumes, f"{name} job {job_id}"
            writes = {scope for scope, level in permissions.items() if level == "write"} - {"id-token"}
            assert not writes, f"{name} job {job_id} writes {writes}"


def test_uses_are_pinned_to_verified_release_commits(bake):
    for path in bake.yaml_files():
        lines = path.read_text().splitlines()
        for line in lines:
            match = re.search(r"uses:\s*(\S+)", line)
            if not match or match.group(1).startswith("./"):
                continue
            action, _, ref = match.group(1).partition("@")
            assert action in PINS, f"{path.name}: {action} is not in the table of verified pins"
            sha, version = PINS[action]
            assert ref == sha, f"{path.name}: {action}@{ref} is not the {version} commit {sha}"
            assert line.rstrip().endswith(f"# {version}"), f"{path.name}: {action} needs the comment '# {version}'"


def test_uses_are_the_lines_the_yaml_means(bake):
    """The line check above sees every `uses:` the parsed YAML has (none hides in flow style)."""
    parsed = sorted(str(step["uses"]) for _, _, step in steps_of(bake) if "uses" in step)
    text = sorted(m for path in bake.yaml_files() for m in re.findall(r"uses:\s*(\S+)", path.read_text()))
    assert parsed == text


def test_no_expression_inside_run_scripts(bake):
    for where, job_id, step in steps_of(bake):
        assert not EXPRESSION.search(step.get("run", "")), f"{where} {job_id}: pass values through env:"


def test_checkout_never_persists_credentials(bake):
    checkouts = [(w, j, s) for w, j, s in steps_of(bake) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for where, job_id, step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") is False, f"{where} {job_id}"


def test_jobs_have_timeouts(bake):
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{name} job {job_id}"


def test_ci_runs_the_nox_sessions_and_nothing_else(bake):
    ci = bake.workflow("ci.yml")
    on = ci["on"]
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert ci["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in ci["concurrency"]["group"]
    sessions = set(ci["jobs"]["checks"]["strategy"]["matrix"]["session"]) | {"tests"}
    assert sessions == {"tests", "lint", "typing", "iac"}
    for job_id, job in ci["jobs"].items():
        for step in job.get("steps", []):
            if "run" in step and job_id != "ci-status":
                assert step["run"].startswith("nox --session "), f"ci.yml {job_id}: {step['run']!r}"
    assert ci["env"]["PYTHON_VERSION"] == answer(bake, "python_version")


def test_ci_tests_run_on_the_database_version_rds_runs(bake):
    tests = bake.workflow("ci.yml")["jobs"]["tests"]
    assert tests["services"]["postgres"]["image"] == f"postgres:{answer(bake, 'postgres_version')}"
    assert tests["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert tests["env"]["REQUIRE_POSTGRES"] == "1"
    assert tests["steps"][-1]["run"].startswith("nox --session tests")


def test_ci_status_job_waits_for_every_job(bake):
    jobs = bake.workflow("ci.yml")["jobs"]
    status = jobs["ci-status"]
    assert status["if"] == "always()"
    assert set(status["needs"]) == set(jobs) - {"ci-status"}


def test_deploy_builds_once_then_staging_then_production(bake):
    jobs = bake.workflow("deploy.yml")["jobs"]
    assert set(jobs) == {"build", "staging", "production"}
    assert "needs" not in jobs["build"]
    assert jobs["staging"]["needs"] in ("build", ["build"])
    assert set(jobs["production"]["needs"]) == {"build", "staging"}
    for env in ("staging", "production"):
        assert jobs[env]["environment"] == env
        assert jobs[env]["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
    builds = [s for s in jobs["build"]["steps"] if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    assert len(builds) == 1 and builds[0]["with"]["push"] is True
    assert builds[0]["id"] == "build"
    assert jobs["build"]["outputs"]["digest"] == "${{ steps.build.outputs.digest || steps.existing.outputs.digest }}"
    (existing,) = [s for s in jobs["build"]["steps"] if s.get("id") == "existing"]
    assert "aws ecr describe-images" in existing["run"]
    assert builds[0]["if"] == "steps.existing.outputs.digest == ''", "a commit is built at most once"


def test_production_deploys_the_digest_staging_deployed(bake):
    jobs = bake.workflow("deploy.yml")["jobs"]
    for env in ("staging", "production"):
        assert jobs[env]["env"]["IMAGE_DIGEST"] == "${{ needs.build.outputs.digest }}", env
        deploys = [s for s in jobs[env]["steps"] if s.get("id") == "deploy"]
        assert len(deploys) == 1, env
        assert deploys[0]["run"] == f'invoke deploy --env {env} --image "$IMAGE_DIGEST"'


def test_a_failed_deploy_is_rolled_back(bake):
    jobs = bake.workflow("deploy.yml")["jobs"]
    for env in ("staging", "production"):
        steps = jobs[env]["steps"]
        ids = [s.get("id") for s in steps]
        rollbacks = [i for i, s in enumerate(steps) if s.get("run") == f"invoke rollback --env {env}"]
        assert len(rollbacks) == 1, env
        assert rollbacks[0] > ids.index("deploy"), f"{env}: the rollback must come after the deploy step"
        condition = steps[rollbacks[0]]["if"]
        assert "failure()" in condition and "steps.deploy.outcome == 'failure'" in condition


def role(bake, env: str) -> str:
    return f"arn:aws:iam::{answer(bake, 'aws_account_id')}:role/{bake.slug}-{env}-deploy"


def role_used(workflow: dict, job: dict) -> str:
    (step,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
    reference = step["with"]["role-to-assume"]
    match = re.fullmatch(r"\$\{\{ env\.(\w+) \}\}", reference)
    return workflow["env"][match.group(1)] if match else reference


def test_each_job_assumes_its_environments_deploy_role(bake):
    deploy = bake.workflow("deploy.yml")
    assert role_used(deploy, deploy["jobs"]["build"]) == role(bake, "staging")
    assert deploy["jobs"]["build"]["environment"] == "staging", "the staging role trusts only that environment"
    for env in ("staging", "production"):
        assert role_used(deploy, deploy["jobs"][env]) == role(bake, env)
    region = answer(bake, "aws_region")
    assert deploy["env"]["ECR_REPOSITORY"] == (
        f"{answer(bake, 'aws_account_id')}.dkr.ecr.{region}.amazonaws.com/{bake.slug}"
    )


def test_terraform_plans_pull_requests_read_only_and_applies_main_behind_environments(bake):
    workflow = bake.workflow("terraform.yml")
    jobs = workflow["jobs"]
    plan = jobs["plan"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert set(plan["strategy"]["matrix"]["environment"]) == {"staging", "production"}
    assert role_used(workflow, plan) == f"arn:aws:iam::{answer(bake, 'aws_account_id')}:role/{bake.slug}-plan"
    assert plan["env"]["TF_CLI_ARGS_plan"] == "-lock=false"
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in plan["steps"])
    assert jobs["apply-staging"]["if"] == "github.event_name == 'push'"
    assert jobs["apply-production"]["needs"] == "apply-staging"
    for env in ("staging", "production"):
        job = jobs[f"apply-{env}"]
        assert job["environment"] == env
        assert job["concurrency"]["cancel-in-progress"] is False
        assert role_used(workflow, job) == role(bake, env)
        assert job["steps"][-1]["run"] == f"invoke provision --env {env} --auto-approve"


def test_e2e_only_runs_by_hand(bake):
    on = bake.workflow("e2e.yml")["on"]
    assert set(on) == {"workflow_dispatch"}


def test_e2e_deploys_in_the_order_invoke_deploy_uses(bake):
    """Database and everything but the app first, then the migration Job, then the app, then probes."""
    workflow = bake.workflow("e2e.yml")
    (job,) = workflow["jobs"].values()
    assert workflow["env"]["NAMESPACE"] == bake.slug
    lines = [line.strip() for step in job["steps"] for line in step.get("run", "").splitlines()]
    applies = [i for i, line in enumerate(lines) if line.startswith("kubectl apply")]
    assert len(applies) == 3
    assert "notin (web,migration)" in lines[applies[0]]
    assert lines[applies[1]].endswith("--selector app.kubernetes.io/component=migration")
    assert "--selector" not in lines[applies[2]]
    (render,) = [i for i, line in enumerate(lines) if line.startswith("kubectl kustomize k8s/overlays/e2e")]
    (migrated,) = [i for i, line in enumerate(lines) if "wait --for=condition=complete" in line]
    assert render < applies[0] < applies[1] < migrated < applies[2]
    runs = "\n".join(lines)
    for path in ("/livez", "/readyz"):
        assert path in runs


def test_composite_setup_action(bake):
    action = load_yaml(bake.github / "actions" / "setup" / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["python-version"]["default"] == answer(bake, "python_version")


def test_dependabot_watches_actions_pip_and_docker(bake):
    config = load_yaml(bake.github / "dependabot.yml")
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip", "docker"}


@pytest.mark.parametrize("workflow", ["ci.yml", "deploy.yml", "terraform.yml", "e2e.yml"])
def test_contract_workflows_exist(bake, workflow):
    assert (bake.github / "workflows" / workflow).is_file()
