"""terraform.yml: pull requests plan; main plans, keeps the plan file and applies exactly that file in the
environment (production after staging, its reviewers after the plan exists); a daily drift check."""

from __future__ import annotations

from gha_jobs import environment, invocations, matrix_entries, option

ENVIRONMENTS = ("staging", "production")


def matrix_commands(workflow: dict, job: dict, env: str) -> list:
    """(step index, step, argv) of a matrix job's commands, for the matrix entry of `env`."""
    (matrix,) = [m for m in matrix_entries(job) if m["environment"] == env]
    return list(invocations(workflow, job, matrix))


def test_triggers_and_concurrency(bake):
    workflow = bake.workflow("terraform.yml")
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {
        "group": "terraform-${{ github.event_name == 'pull_request' && github.ref "
        "|| github.event_name == 'push' && 'main' || 'drift' }}",
        "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
    }


def test_every_environment_is_planned_with_its_plan_role_and_shown(bake):
    workflow = bake.workflow("terraform.yml")
    plan = workflow["jobs"]["plan"]
    assert plan["if"] == "github.event_name == 'pull_request' || github.event_name == 'push'"
    assert plan["runs-on"] == "ubuntu-24.04" and "environment" not in plan
    assert plan["env"]["TF_CLI_ARGS_plan"] == "-lock=false", "the plan role cannot take the lock"
    assert [m["environment"] for m in matrix_entries(plan)] == list(ENVIRONMENTS)
    for env in ENVIRONMENTS:
        commands = matrix_commands(workflow, plan, env)
        runs = [argv for _, _, argv in commands if argv[:2] == ["invoke", "provision"]]
        assert runs == [["invoke", "provision", "--env", env, "--plan-only", "--out", f"plans/{env}.tfplan"]]
        shows = [argv for _, _, argv in commands if argv[:1] == ["terraform"]]
        assert shows[0][1:4] == [f"-chdir=terraform/environments/{env}", "show", "-no-color"]
        assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in plan["steps"])


def test_main_applies_exactly_the_plan_file_of_this_runs_plan_job(bake):
    workflow = bake.workflow("terraform.yml")
    jobs = workflow["jobs"]
    plan = jobs["plan"]
    (upload,) = [s for s in plan["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["if"] == "github.event_name == 'push'"
    assert upload["with"]["if-no-files-found"] == "error"
    assert upload["with"]["include-hidden-files"] is True, ".terraform.lock.hcl is a hidden file"
    for env in ENVIRONMENTS:
        matrix = next(m for m in matrix_entries(plan) if m["environment"] == env)
        values = environment(workflow, plan, upload, matrix)
        name = upload["with"]["name"].replace("${{ matrix.environment }}", env)
        paths = upload["with"]["path"].replace("${{ env.PLAN_FILE }}", values["PLAN_FILE"])
        paths = paths.replace("${{ matrix.environment }}", env).split()
        assert name == f"plan-{env}"
        assert paths == [f"plans/{env}.tfplan", f"terraform/environments/{env}/.terraform.lock.hcl"]

        apply = jobs[f"apply-{env}"]
        assert "plan" in ([apply["needs"]] if isinstance(apply["needs"], str) else apply["needs"])
        assert apply["if"] == "github.event_name == 'push'"
        assert apply["environment"] == env
        assert apply["concurrency"] == {"group": f"terraform-apply-{env}", "cancel-in-progress": False}
        steps = apply["steps"]
        (download,) = [
            i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/download-artifact@")
        ]
        assert steps[download]["with"] == {"name": f"plan-{env}"}, "this run's artifact: no run-id, no token"
        commands = [(i, argv) for i, _, argv in invocations(workflow, apply) if argv[:1] == ["invoke"]]
        assert [argv for _, argv in commands] == [
            ["invoke", "provision", "--env", env, "--plan-file", f"plans/{env}.tfplan"],
            ["invoke", "cluster.setup", "--env", env],
        ]
        assert download < commands[0][0]
        assert "--auto-approve" not in commands[0][1]


def test_production_is_applied_after_staging_and_approved_after_its_plan(bake):
    jobs = bake.workflow("terraform.yml")["jobs"]
    assert jobs["apply-staging"]["needs"] == "plan"
    assert set(jobs["apply-production"]["needs"]) == {"plan", "apply-staging"}


def test_a_daily_drift_check_opens_an_issue(bake):
    workflow = bake.workflow("terraform.yml")
    assert [entry["cron"] for entry in workflow["on"]["schedule"]] == ["17 5 * * *"]
    drift = workflow["jobs"]["drift"]
    assert drift["if"] == "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    assert drift["runs-on"] == "ubuntu-24.04"
    for env in ENVIRONMENTS:
        commands = matrix_commands(workflow, drift, env)
        assert [argv for _, _, argv in commands if argv[:1] == ["invoke"]] == [["invoke", "drift", "--env", env]]
    issue = workflow["jobs"]["drift-issue"]
    assert issue["needs"] == "drift" and issue["if"] == "failure()"
    assert issue["permissions"] == {"issues": "write"}
    commands = [argv for _, _, argv in invocations(workflow, issue) if argv[:2] == ["gh", "issue"]]
    assert {argv[2] for argv in commands} == {"comment", "create"}, "comment on the open issue, else open one"
    assert 'gh issue list --state open --search "\\"$TITLE\\" in:title"' in issue["steps"][0]["run"]
    assert option(next(a for a in commands if a[2] == "create"), "--title") == "Terraform drift check failed"
