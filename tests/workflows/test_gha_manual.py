"""The workflows people start: redeploy or roll back (inputs checked by running the real check script),
the kind end-to-end run through `invoke deploy`, and the template update pull request."""

from __future__ import annotations

import os
import subprocess

import pytest
from gha_jobs import invocations

DIGEST = "sha256:" + "0123456789abcdef" * 4
BAD_DIGEST = "::error::digest must be sha256: followed by 64 lowercase hex digits to redeploy."
ROLLBACK_DIGEST = (
    "::error::digest must be empty for a rollback (it returns to the last revision that passed its smoke test)."
)


def test_redeploy_runs_by_hand_with_choices(bake):
    workflow = bake.workflow("redeploy.yml")
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["staging", "production"]
    assert inputs["action"]["options"] == ["redeploy", "rollback"]
    assert inputs["digest"]["type"] == "string"
    act = workflow["jobs"]["act"]
    assert act["needs"] == "check", "nothing waits for a runner or a reviewer before the inputs are checked"
    assert act["environment"] == "${{ inputs.environment }}"
    commands = {argv[1]: (step["if"], argv) for _, step, argv in invocations(workflow, act) if argv[:1] == ["invoke"]}
    assert commands["deploy"] == (
        "inputs.action == 'redeploy'",
        ["invoke", "deploy", "--env", "${{ inputs.environment }}", "--image", act["env"]["IMAGE"]],
    )
    assert commands["rollback"] == (
        "inputs.action == 'rollback'",
        ["invoke", "rollback", "--env", "${{ inputs.environment }}"],
    )


def run_check(bake, tmp_path, ref="refs/heads/main", **inputs) -> subprocess.CompletedProcess[str]:
    """The check job's script under bash, with the inputs in env as the workflow passes them."""
    (step,) = bake.workflow("redeploy.yml")["jobs"]["check"]["steps"]
    assert bake.workflow("redeploy.yml")["jobs"]["check"]["env"] == {
        "ENVIRONMENT": "${{ inputs.environment }}",
        "ACTION": "${{ inputs.action }}",
        "DIGEST": "${{ inputs.digest }}",
    }
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    env = {"PATH": os.environ["PATH"], "GITHUB_REF": ref}
    env |= {"ENVIRONMENT": "staging", "ACTION": "redeploy", "DIGEST": DIGEST} | inputs
    return subprocess.run(["bash", "-e", str(script)], env=env, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("inputs", "error"),
    [
        ({}, None),
        ({"ENVIRONMENT": "production"}, None),
        ({"ACTION": "rollback", "DIGEST": ""}, None),
        ({"ENVIRONMENT": "qa"}, "::error::environment must be staging or production."),
        ({"DIGEST": "sha256:abc"}, "::error::digest must be sha256: followed by 64 lowercase hex digits to redeploy."),
        (
            {"DIGEST": DIGEST.upper()},
            BAD_DIGEST,
        ),
        (
            {"DIGEST": f"{DIGEST}\n::warning::injected"},
            BAD_DIGEST,
        ),
        (
            {"ACTION": "rollback"},
            ROLLBACK_DIGEST,
        ),
        ({"ACTION": "restart"}, "::error::action must be redeploy or rollback."),
    ],
    ids=[
        "redeploy",
        "production",
        "rollback",
        "bad-env",
        "short-digest",
        "upper-case",
        "two-lines",
        "rollback-digest",
        "bad-action",
    ],
)
def test_redeploy_inputs_get_one_sentence_each(bakes, tmp_path, inputs, error):
    result = run_check(bakes["default"], tmp_path, **inputs)
    if error is None:
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout == ""
    else:
        assert result.returncode == 1
        assert result.stdout.splitlines() == [error], "one sentence, and never the raw input"


def test_redeploy_refuses_other_branches(bakes, tmp_path):
    result = run_check(bakes["default"], tmp_path, ref="refs/heads/feature")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error::Run this workflow from main: the deploy roles trust it on main only."
    ]


def test_e2e_runs_invoke_deploy_itself_on_kind(bake):
    workflow = bake.workflow("e2e.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    (job,) = workflow["jobs"].values()
    assert workflow["env"]["IMAGE_REPOSITORY"] == f"kind-registry:5000/{bake.slug}"
    steps = job["steps"]
    kind = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("helm/kind-action@"))
    assert steps[kind]["with"] == {"cluster_name": "e2e", "registry": True}
    kubeconfig = next(i for i, s in enumerate(steps) if "KUBECONFIG=" in s.get("run", ""))
    assert kubeconfig < kind, "kind writes the kubeconfig where KUBECONFIG points"
    build = next(i for i, s in enumerate(steps) if s.get("id") == "build")
    assert steps[build]["with"]["push"] is True
    commands = [(i, argv) for i, _, argv in invocations(workflow, job)]
    deploys = [(i, argv) for i, argv in commands if argv[:2] == ["invoke", "deploy"]]
    assert deploys == [
        (
            deploys[0][0],
            [
                "invoke",
                "deploy",
                "--env",
                "e2e",
                "--kubeconfig",
                "$KUBECONFIG",
                "--image",
                "kind-registry:5000/" + bake.slug + "@${{ steps.build.outputs.digest }}",
            ],
        )
    ]
    assert kind < build < deploys[0][0]
    assert not [argv for _, argv in commands if argv[:2] == ["kubectl", "apply"]], (
        "invoke deploy applies, not the workflow"
    )
    probes = " ".join(step.get("run", "") for step in steps[deploys[0][0] + 1 :])
    for path in ("/livez", "/readyz", "/api/v1/items"):
        assert path in probes


def test_template_updates_arrive_as_a_pull_request(bake):
    workflow = bake.workflow("template-update.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    job = workflow["jobs"]["update"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = job["steps"]
    (check,) = [s for s in steps if s.get("id") == "check"]
    assert check["run"] == "cruft check" and check["continue-on-error"] is True
    (update,) = [s for s in steps if s.get("run", "").startswith("cruft update")]
    assert update["run"] == "cruft update --skip-apply-ask", "non-interactive"
    (pull,) = [s for s in steps if str(s.get("uses", "")).startswith("peter-evans/create-pull-request@")]
    for step in (update, pull):
        assert step["if"] == "steps.check.outcome == 'failure'", "only when the template moved"
    assert steps.index(check) < steps.index(update) < steps.index(pull)
    assert pull["with"]["branch"] == "template-update"
