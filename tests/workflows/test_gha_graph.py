"""Every workflow's hygiene, read from the parsed YAML: permissions, pins, env-only inputs, timeouts, runners;
CI's sessions; the invoke commands the steps run exist in the generated tasks."""

from __future__ import annotations

import re

from gha_jobs import RUNNER_IDS, answer, invocations, reaches_cluster
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
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "sigstore/cosign-installer": ("6f9f17788090df1f26f669e9d70d6ae9567deba6", "v4.1.2"),
    "docker/setup-qemu-action": ("96fe6ef7f33517b61c61be40b68a1882f3264fb8", "v4.2.0"),
    "peter-evans/create-pull-request": ("5f6978faf089d4d20b00c7766989d076bb2fc7f1", "v8.1.1"),
}
EXPRESSION = re.compile(r"\$\{\{")


def steps_of(bake):
    """(file, job id or None, step) for every step of every workflow and of the composite action."""
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                yield name, job_id, step
    for action in sorted((bake.github / "actions").glob("*/action.yml")):
        for step in load_yaml(action)["runs"]["steps"]:
            yield f"actions/{action.parent.name}", None, step


# The only jobs that may write through GITHUB_TOKEN, and what: everything else reads at most.
WRITERS = {
    ("template-update.yml", "update"): {"contents", "pull-requests"},
    ("terraform.yml", "drift-issue"): {"issues"},
}
WORKFLOWS = {"ci.yml", "deploy.yml", "terraform.yml", "e2e.yml", "redeploy.yml", "template-update.yml"}


def jobs_of(bake):
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            yield name, workflow, job_id, job


def test_the_workflows_are_these(bake):
    assert set(bake.workflows()) == WORKFLOWS


def test_every_workflow_starts_with_no_permissions(bake):
    for name, workflow in bake.workflows().items():
        assert workflow.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, f"{name} job {job_id} must state its permissions"


def signs(job: dict) -> bool:
    return any(s.get("run", "").startswith("cosign sign ") for s in job.get("steps", []))


def test_an_id_token_only_where_a_role_is_assumed_or_an_image_signed(bake):
    for name, _, job_id, job in jobs_of(bake):
        permissions = job["permissions"] or {}
        assumes = any(
            str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@") for s in job.get("steps", [])
        )
        assert (permissions.get("id-token") == "write") == (assumes or signs(job)), f"{name} job {job_id}"


def test_only_the_listed_jobs_write(bake):
    for name, _, job_id, job in jobs_of(bake):
        writes = {scope for scope, level in (job["permissions"] or {}).items() if level == "write"} - {"id-token"}
        assert writes == WRITERS.get((name, job_id), set()), f"{name} job {job_id} writes {writes}"


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
    parsed = [str(step["uses"]) for _, _, step in steps_of(bake) if "uses" in step]
    parsed += [job["uses"] for _, _, _, job in jobs_of(bake) if "uses" in job]
    text = [m for path in bake.yaml_files() for m in re.findall(r"uses:\s*(\S+)", path.read_text())]
    assert sorted(parsed) == sorted(text)


def test_no_expression_inside_run_scripts(bake):
    for where, job_id, step in steps_of(bake):
        assert not EXPRESSION.search(step.get("run", "")), f"{where} {job_id}: pass values through env:"


def test_checkout_never_persists_credentials(bake):
    checkouts = [(w, j, s) for w, j, s in steps_of(bake) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for where, job_id, step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") is False, f"{where} {job_id}"


def test_jobs_have_timeouts(bake):
    for name, _, job_id, job in jobs_of(bake):
        if "uses" not in job:  # a called workflow's jobs carry their own
            assert isinstance(job.get("timeout-minutes"), int), f"{name} job {job_id}"


def test_cluster_jobs_run_in_their_environments_vpc_and_the_rest_on_github(bake):
    """D1: a job whose commands reach an AWS environment's Kubernetes API runs on that environment's
    CodeBuild runner and under its GitHub environment; every other job on ubuntu-24.04."""
    cluster_jobs = 0
    for name, workflow, job_id, job in jobs_of(bake):
        if "uses" in job:
            continue
        targets = {
            argv[argv.index("--env") + 1]
            for _, _, argv in invocations(workflow, job)
            if reaches_cluster(argv) and "--env" in argv
        } - {"e2e"}  # kind, on the GitHub runner itself
        if not targets:
            assert job["runs-on"] == "ubuntu-24.04", f"{name} job {job_id}"
            continue
        (target,) = targets
        cluster_jobs += 1
        assert job["runs-on"] == f"codebuild-{bake.slug}-{target}-runner-{RUNNER_IDS}", f"{name} job {job_id}"
        assert job["environment"] == target, f"{name} job {job_id}"
    # deploy: staging, production; terraform: two applies; redeploy: one job for either.
    assert cluster_jobs == 5


def test_ci_runs_the_nox_sessions_and_the_update_check(bake):
    ci = bake.workflow("ci.yml")
    assert set(ci["on"]) == {"pull_request", "workflow_call"}, "main runs CI inside deploy.yml"
    assert ci["concurrency"] == {"group": "ci-${{ github.ref }}", "cancel-in-progress": True}
    sessions = set(ci["jobs"]["checks"]["strategy"]["matrix"]["session"]) | {"tests"}
    assert sessions == {"tests", "lint", "typing", "iac", "docs"}
    for job_id, job in ci["jobs"].items():
        for step in job.get("steps", []):
            if (
                "run" in step
                and job_id not in ("ci-status", "template")
                and step.get("if") != "matrix.session == 'docs'"
            ):
                assert step["run"].startswith("nox --session "), f"ci.yml {job_id}: {step['run']!r}"
    (graphviz,) = [s for s in ci["jobs"]["checks"]["steps"] if s.get("if") == "matrix.session == 'docs'"]
    assert graphviz["run"].endswith("apt-get install --yes --quiet --no-install-recommends graphviz")
    assert ci["env"]["PYTHON_VERSION"] == answer(bake, "python_version")


def test_ci_says_on_pull_requests_whether_a_template_update_is_due(bake):
    template = bake.workflow("ci.yml")["jobs"]["template"]
    assert template["if"] == "github.event_name == 'pull_request'"
    assert template["continue-on-error"] is True, "a template release must not block pull requests"
    setup = [s for s in template["steps"] if s.get("uses") == "./.github/actions/setup"]
    assert setup[0]["with"] == {"install": "cruft"}
    assert template["steps"][-1]["run"] == "cruft check"


def test_ci_tests_run_on_the_database_version_rds_runs(bake):
    tests = bake.workflow("ci.yml")["jobs"]["tests"]
    assert tests["services"]["postgres"]["image"] == f"postgres:{answer(bake, 'postgres_version')}"
    assert tests["env"]["TEST_DATABASE_URL"].startswith("postgresql://")
    assert tests["env"]["REQUIRE_POSTGRES"] == "1"
    assert tests["steps"][-1]["run"].startswith("nox --session tests")


def test_ci_status_job_waits_for_every_required_job(bake):
    jobs = bake.workflow("ci.yml")["jobs"]
    status = jobs["ci-status"]
    assert status["if"] == "always()"
    assert set(status["needs"]) == set(jobs) - {"ci-status", "template"}


def test_composite_setup_action(bake):
    action = load_yaml(bake.github / "actions" / "setup" / "action.yml")
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["python-version"]["default"] == answer(bake, "python_version")
    folder = bake.github / "actions" / "setup"
    for requirements, tools in (("requirements.txt", ["nox", "uv"]), ("cruft-requirements.txt", ["cruft"])):
        pinned = re.findall(r"^([a-z]+)==\d+(?:\.\d+)+$", (folder / requirements).read_text(), re.MULTILINE)
        assert pinned == tools, requirements
    (ops,) = [s for s in action["runs"]["steps"] if s.get("if") == "inputs.install == 'ops'"]
    assert ops["run"] == 'UV_PROJECT_ENVIRONMENT="$pythonLocation" uv sync --locked --inexact --extra ops', "uv.lock"


def test_dependabot_watches_every_pinned_ecosystem_and_terraform_root(bake):
    updates = {u["package-ecosystem"]: u for u in load_yaml(bake.github / "dependabot.yml")["updates"]}
    assert set(updates) == {"github-actions", "uv", "pip", "docker", "terraform"}
    assert updates["uv"]["directory"] == "/"
    assert updates["pip"]["directory"] == "/.github/actions/setup"
    assert set(updates["github-actions"]["directories"]) == {"/", "/.github/actions/setup"}
    roots = {"/terraform/bootstrap"} | {
        f"/terraform/environments/{path.name}" for path in (bake.project / "terraform" / "environments").iterdir()
    }
    assert roots == {"/terraform/bootstrap", "/terraform/environments/staging", "/terraform/environments/production"}
    assert set(updates["terraform"]["directories"]) == roots
    for ecosystem, update in updates.items():
        assert update["cooldown"]["default-days"] >= 7, ecosystem
