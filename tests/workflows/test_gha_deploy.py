"""deploy.yml and redeploy.yml as a graph: CI first, one signed build, verify before the cluster, the
same digest everywhere, concurrency that never lets older code land last, and the roles of D3."""

from __future__ import annotations

import pytest
from bakery import render
from gha_jobs import (
    accounts,
    all_needs,
    answer,
    environment,
    invocations,
    option,
    reaches_cluster,
    role_and_account,
)
from gha_support import load_yaml

ISSUER = "https://token.actions.githubusercontent.com"


def signer(bake) -> str:
    repository = bake.answers.get("github_repository") or f"example-org/{bake.slug}"  # the answer's default
    return f"https://github.com/{repository}/.github/workflows/deploy.yml@refs/heads/main"


def registry(bake) -> str:
    """The image repository: always in the staging account (aws_account_id), production pulls across."""
    return f"{answer(bake, 'aws_account_id')}.dkr.ecr.{answer(bake, 'aws_region')}.amazonaws.com/{bake.slug}"


def test_deploy_waits_for_ci_of_the_same_commit(bake):
    deploy = bake.workflow("deploy.yml")
    jobs = deploy["jobs"]
    assert set(jobs) == {"ci", "build", "staging", "production"}
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["ci"]["permissions"] == {"contents": "read"}
    assert "workflow_call" in bake.workflow("ci.yml")["on"]
    assert jobs["build"]["needs"] == "ci", "only a commit that passed CI is built and signed"
    for job_id in ("staging", "production"):
        assert "ci" in all_needs(jobs, job_id)


def test_production_needs_staging(bake):
    jobs = bake.workflow("deploy.yml")["jobs"]
    assert set(jobs["production"]["needs"]) == {"build", "staging"}
    assert jobs["staging"]["needs"] == "build"


def test_an_older_run_never_deploys_over_a_newer_one(bake):
    """One run at a time, queued not cancelled (GitHub keeps only the newest pending run); cluster
    jobs share a per-environment group with the redeploy workflow; the called CI's group differs
    from the caller's (a shared group deadlocks)."""
    deploy = bake.workflow("deploy.yml")
    assert set(deploy["on"]) == {"push", "workflow_dispatch"}
    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    assert bake.workflow("ci.yml")["concurrency"]["group"] != deploy["concurrency"]["group"]
    assert deploy["jobs"]["ci"]["if"] == "github.ref == 'refs/heads/main'"
    for env in ("staging", "production"):
        job = deploy["jobs"][env]
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        guard = job["steps"][0]
        assert guard["if"] == "github.run_attempt != '1'", "a re-run of an old run must prove it is main's newest"
        assert 'if [ "$newest" != "$GITHUB_SHA" ]; then' in guard["run"]
        assert guard["env"] == {"GH_TOKEN": "${{ github.token }}"}
    act = bake.workflow("redeploy.yml")["jobs"]["act"]
    assert act["concurrency"] == {"group": "deploy-${{ inputs.environment }}", "cancel-in-progress": False}


def test_the_image_is_built_once_for_the_nodes_with_attestations_and_signed(bake):
    deploy = bake.workflow("deploy.yml")
    build = deploy["jobs"]["build"]
    assert build["runs-on"] == "ubuntu-24.04"
    assert "environment" not in build, "the build role trusts deploy.yml on main (OIDC context ref)"
    steps = build["steps"]
    (push,) = [s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    assert push["id"] == "build" and push["if"] == "steps.existing.outputs.digest == ''"
    assert push["with"]["push"] is True
    assert push["with"]["sbom"] is True
    assert push["with"]["provenance"] == "mode=max"
    assert push["with"]["platforms"] == "${{ env.IMAGE_PLATFORM }}"
    assert deploy["env"]["IMAGE_REPOSITORY"] == registry(bake)
    assert build["outputs"]["digest"] == "${{ steps.build.outputs.digest || steps.existing.outputs.digest }}"
    (existing,) = [s for s in steps if s.get("id") == "existing"]
    assert "aws ecr describe-images" in existing["run"]
    signing = [(i, argv) for i, _, argv in invocations(deploy, build) if argv[:2] == ["cosign", "sign"]]
    assert len(signing) == 1
    index, argv = signing[0]
    assert argv == ["cosign", "sign", "--yes", f"{registry(bake)}@{build['outputs']['digest']}"]
    installer = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("sigstore/cosign-installer@"))
    assert steps.index(push) < index and installer < index
    assert build["permissions"] == {"contents": "read", "id-token": "write"}


@pytest.mark.parametrize(
    ("node_type", "platform"),
    [
        ("t3.medium", "linux/amd64"),
        ("m7g.large", "linux/arm64"),
        ("c6gn.xlarge", "linux/arm64"),
        ("g5.xlarge", "linux/amd64"),
    ],
)
def test_images_are_built_for_the_nodes_architecture(node_type, platform):
    deploy = load_yaml(render(node_instance_type=node_type) / ".github" / "workflows" / "deploy.yml")
    assert deploy["env"]["IMAGE_PLATFORM"] == platform
    emulators = [
        s for s in deploy["jobs"]["build"]["steps"] if str(s.get("uses", "")).startswith("docker/setup-qemu-action@")
    ]
    assert [s["with"]["platforms"] for s in emulators] == (["arm64"] if platform == "linux/arm64" else [])


def image_deploys(bake):
    """(workflow name, job id, job, step index, argv) of every `invoke deploy` to an AWS environment."""
    for name in ("deploy.yml", "redeploy.yml"):
        workflow = bake.workflow(name)
        for job_id, job in workflow["jobs"].items():
            for index, _, argv in invocations(workflow, job):
                if argv[:2] == ["invoke", "deploy"]:
                    yield workflow, name, job_id, job, index, argv


def test_the_signature_is_verified_before_any_step_reaches_the_cluster(bake):
    found = 0
    for workflow, name, job_id, job, deploy_index, argv in image_deploys(bake):
        found += 1
        steps = list(invocations(workflow, job))
        verifies = [(i, step, cmd) for i, step, cmd in steps if cmd[:2] == ["cosign", "verify"]]
        assert len(verifies) == 1, f"{name} {job_id}: one cosign verify"
        index, step, verify = verifies[0]
        assert verify[2] == option(argv, "--image"), f"{name} {job_id}: verify the image that is deployed"
        assert option(verify, "--certificate-identity") == signer(bake)
        assert option(verify, "--certificate-oidc-issuer") == ISSUER
        assert step.get("if") == job["steps"][deploy_index].get("if"), f"{name} {job_id}: verified whenever deployed"
        first_contact = min(i for i, _, cmd in steps if reaches_cluster(cmd))
        assert index < first_contact, f"{name} {job_id}: verify comes before the cluster is reached"
        installs = [
            i for i, s in enumerate(job["steps"]) if str(s.get("uses", "")).startswith("sigstore/cosign-installer@")
        ]
        assert installs and installs[0] < index
    assert found == 3


def test_every_environment_deploys_the_digest_the_build_signed(bake):
    jobs = bake.workflow("deploy.yml")["jobs"]
    for env in ("staging", "production"):
        assert jobs[env]["env"]["IMAGE"] == f"{registry(bake)}@${{{{ needs.build.outputs.digest }}}}", env
    act = bake.workflow("redeploy.yml")["jobs"]["act"]
    assert act["env"]["IMAGE"] == f"{registry(bake)}@${{{{ inputs.digest }}}}"


def test_a_failed_deploy_is_rolled_back(bake):
    deploy = bake.workflow("deploy.yml")
    for env in ("staging", "production"):
        steps = deploy["jobs"][env]["steps"]
        ids = [s.get("id") for s in steps]
        rollbacks = [i for i, s in enumerate(steps) if s.get("run") == f"invoke rollback --env {env}"]
        assert len(rollbacks) == 1, env
        assert rollbacks[0] > ids.index("deploy"), f"{env}: the rollback must come after the deploy step"
        condition = steps[rollbacks[0]]["if"]
        assert "failure()" in condition and "steps.deploy.outcome == 'failure'" in condition


def expected_roles(bake) -> dict[tuple[str, str, str], str]:
    """(workflow, job, environment) -> the role it must assume (D3), in the environment's account."""
    account = accounts(bake)
    slug = bake.slug
    roles = {("deploy.yml", "build", "registry"): f"arn:aws:iam::{account['staging']}:role/{slug}-build"}
    for env in ("staging", "production"):
        arn = f"arn:aws:iam::{account[env]}:role/{slug}-{env}"
        roles |= {
            ("deploy.yml", env, env): f"{arn}-deploy",
            ("redeploy.yml", "act", env): f"{arn}-deploy",
            ("terraform.yml", "plan", env): f"{arn}-plan",
            ("terraform.yml", "drift", env): f"{arn}-plan",
            ("terraform.yml", f"apply-{env}", env): f"{arn}-provision",
        }
    return roles


def assumed_roles(bake) -> dict[tuple[str, str, str], tuple[str, str]]:
    """What the workflows assume, per (workflow, job, environment): (role, allowed account)."""
    found = {}
    for name, workflow in bake.workflows().items():
        for job_id, job in workflow["jobs"].items():
            if not any(
                str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")
                for s in job.get("steps", [])
            ):
                continue
            if name == "redeploy.yml":  # the environment comes from the dispatch's input
                for env in ("staging", "production"):
                    found[(name, job_id, env)] = role_and_account(workflow, resolve_choice(workflow, job, env))
                continue
            for matrix in ((job.get("strategy") or {}).get("matrix") or {}).get("include") or [{}]:
                env = matrix.get("environment") or job.get("environment") or "registry"
                found[(name, job_id, env)] = role_and_account(workflow, job, matrix)
    return found


def resolve_choice(workflow: dict, job: dict, env: str) -> dict:
    """The job with `inputs.environment == 'production' && A || B` decided for `env`, as GitHub would."""
    env_values = environment(workflow, job)
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"))
    decided = {}
    for key in ("role-to-assume", "allowed-account-ids"):
        expression = step["with"][key]
        prefix = "${{ inputs.environment == 'production' && env."
        assert expression.startswith(prefix) and " || env." in expression, expression
        production, staging = expression[len(prefix) : -len(" }}")].split(" || env.")
        decided[key] = env_values[production if env == "production" else staging]
    return {"steps": [{**step, "with": {**step["with"], **decided}}]}


def test_every_role_is_its_environments_and_in_its_account(bake):
    assumed = assumed_roles(bake)
    expected = expected_roles(bake)
    assert set(assumed) == set(expected)
    for key, (role, account) in assumed.items():
        assert role == expected[key], key
        assert role.split(":")[4] == account, f"{key}: allowed-account-ids must be the role's account"


def test_two_accounts_put_production_in_its_own_account(bakes):
    """Literal ARNs on the bake with a separate production account; the registry stays in staging's."""
    bake = bakes["two-accounts"]
    assumed = assumed_roles(bake)
    assert assumed[("deploy.yml", "build", "registry")] == (
        "arn:aws:iam::123456789012:role/example-service-build",
        "123456789012",
    )
    assert assumed[("deploy.yml", "production", "production")] == (
        "arn:aws:iam::210987654321:role/example-service-production-deploy",
        "210987654321",
    )
    assert assumed[("redeploy.yml", "act", "production")][1] == "210987654321"
    assert assumed[("terraform.yml", "apply-production", "production")][0] == (
        "arn:aws:iam::210987654321:role/example-service-production-provision"
    )
    assert (
        assumed[("terraform.yml", "plan", "staging")][0]
        == "arn:aws:iam::123456789012:role/example-service-staging-plan"
    )
    image = bake.workflow("deploy.yml")["jobs"]["production"]["env"]["IMAGE"]
    assert image.startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/example-service@")
    logins = [
        s
        for s in bake.workflow("deploy.yml")["jobs"]["production"]["steps"]
        if "amazon-ecr-login" in str(s.get("uses"))
    ]
    assert [s["with"]["registries"] for s in logins] == ["${{ env.REGISTRY_ACCOUNT_ID }}"]
    assert bake.workflow("deploy.yml")["env"]["REGISTRY_ACCOUNT_ID"] == "123456789012"
