"""The first push, played: GitHub must be ready for the workflows, then deploy.yml's job graph runs.

Jobs run in the order their `needs` allow; the build job stands for CI's image (a digest); each
environment job must run on the CodeBuild runner the Terraform creates for that environment, verify
the signature before it deploys, and its `invoke deploy` runs for real against the environment's
fake cluster with the environment's outputs.
"""

from __future__ import annotations

import json
import re
import shlex
import urllib.request

import terraform_facts
import yaml
from walk import Walk, WalkFailed

DIGEST = "sha256:" + "a" * 64
RUNNER_IDS = "${{ github.run_id }}-${{ github.run_attempt }}"
CONTEXT_CLAIMS = {"environment", "ref", "pull_request"}  # the values GitHub's `context` claim takes


def workflows(walk: Walk) -> dict[str, dict]:
    folder = walk.project / ".github" / "workflows"
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yml"))}


def trusted_claim_keys(walk: Walk) -> list[str]:
    """The claim keys of the OIDC subjects the deploy roles trust, in order, read from the Terraform."""
    parsed = json.dumps(terraform_facts.load(walk.project / "terraform" / "modules" / "deploy_role" / "main.tf"))
    subject = re.search(r"repo:\$\{[^\"]*?job_workflow_ref:", parsed)
    assert subject, "modules/deploy_role names no subject of the form repo:…:job_workflow_ref:"
    names = re.findall(r"(?:^|:)(repo|environment|ref|pull_request|job_workflow_ref):", subject.group(0))
    return ["context" if name in CONTEXT_CLAIMS else name for name in names]


def environments_of(workflow: dict, job: dict) -> list[str]:
    """The environments a job may run in: a name, or every choice of the input or matrix entry it names."""
    name = job["environment"] if isinstance(job["environment"], str) else job["environment"]["name"]
    expression = re.fullmatch(r"\$\{\{ (inputs|matrix)\.(\w+) \}\}", name)
    if not expression:
        return [name]
    kind, key = expression.groups()
    if kind == "inputs":
        return workflow[True]["workflow_dispatch"]["inputs"][key]["options"]  # PyYAML reads `on:` as True
    return [entry[key] for entry in job["strategy"]["matrix"]["include"]]


def check_github_ready(walk: Walk, where: str) -> None:
    github = walk.github
    named = {
        env
        for workflow in workflows(walk).values()
        for job in workflow["jobs"].values()
        if "environment" in job
        for env in environments_of(workflow, job)
    }
    for env in sorted(named):
        if env not in github.environments:
            raise WalkFailed(
                f"{where}: the workflows name environment {env!r}, which no earlier step created: the push "
                "creates it on first use, without protection rules"
            )
    for env, settings in github.environments.items():
        if not settings["custom_branches"] or settings["branches"] != ["main"]:
            raise WalkFailed(f"{where}: environment {env!r} is not limited to main (any branch could run as {env})")
    if not github.environments.get("production", {}).get("reviewers"):
        raise WalkFailed(f"{where}: environment 'production' has no required reviewers")
    trusted = trusted_claim_keys(walk)
    if github.claim_keys != trusted:
        raise WalkFailed(
            f"{where}: the roles trust OIDC subjects made of {trusted}, but the repository's subject claim is "
            f"{github.claim_keys or 'the default'}: every AWS login of the workflows would be refused"
        )


def needs(job: dict) -> set[str]:
    wanted = job.get("needs") or []
    return {wanted} if isinstance(wanted, str) else set(wanted)


def job_order(jobs: dict[str, dict]) -> list[str]:
    """The jobs in an order their `needs` allow (the file's order among the ready ones)."""
    done: list[str] = []
    while len(done) < len(jobs):
        ready = [name for name, job in jobs.items() if name not in done and needs(job) <= set(done)]
        assert ready, f"deploy.yml's needs form a cycle among {sorted(set(jobs) - set(done))}"
        done.append(ready[0])
    return done


def expand(text: str, env: dict[str, str], digest: str = DIGEST) -> str:
    text = text.replace("${{ needs.build.outputs.digest }}", digest)
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), text)


def run_deploy_workflow(walk: Walk, where: str) -> None:
    workflow = workflows(walk)["deploy.yml"]
    jobs = workflow["jobs"]
    order = job_order(jobs)
    walk.job_order = order
    for name in order:
        job = jobs[name]
        env = job.get("environment")
        if env is None:
            continue  # CI (called workflow) and the build: their own layers test them; here they hand over a digest
        env = env if isinstance(env, str) else env["name"]
        runner = f"codebuild-{terraform_facts.runner_project(walk.project, env)}-{RUNNER_IDS}"
        if job["runs-on"] != runner:
            raise WalkFailed(
                f"{where}: deploy.yml's {name} job runs on {job['runs-on']!r}; {env}'s Terraform creates {runner!r}"
            )
        walk.invoke(f"{where}, job {name}", deploy_command(workflow, name, where))


def deploy_command(workflow: dict, name: str, where: str, digest: str = DIGEST) -> list[str]:
    """The `invoke deploy` a deploy job runs, its variables filled in; checked to come after verification."""
    job = workflow["jobs"][name]
    values = {key: expand(str(value), {}, digest) for key, value in {**workflow["env"], **job.get("env", {})}.items()}
    steps = [step for step in job["steps"] if "run" in step and not str(step.get("if", "")).startswith("failure()")]
    verify = next((i for i, s in enumerate(steps) if s["run"].startswith("cosign verify")), None)
    deploy = next((i for i, s in enumerate(steps) if s["run"].startswith("invoke deploy")), None)
    if deploy is None or verify is None or verify > deploy:
        raise WalkFailed(f"{where}: deploy.yml's {name} job must verify the signature, then `invoke deploy`")
    return shlex.split(expand(steps[deploy]["run"], values, digest))


def served_request(walk: Walk, where: str, command: str) -> None:
    """The last step's request, answered by what the first deploy created (the fake's service proxy)."""
    read = re.search(r"-chdir=terraform/environments/(\w+) output -raw (\w+)", command)
    env = read.group(1) if read else "staging"
    if read and read.group(2) not in walk.outputs[env]:
        raise WalkFailed(
            f"{where}: reads output {read.group(2)!r}, which terraform/environments/{env} does not declare"
        )
    fake = walk.kube[env]
    service = f"/api/v1/namespaces/{walk.slug}/services/{walk.slug}"
    if service not in fake.objects:
        raise WalkFailed(f"{where}: nothing serves {env}: no earlier step deployed the app's Service")
    with urllib.request.urlopen(f"{fake.url}{service}:http/proxy/readyz") as response:
        walk.served = (response.status, response.read().decode())


def rollback_command(workflow: dict, name: str) -> list[str]:
    """The belt-and-braces step a deploy job runs when its deploy step failed."""
    steps = workflow["jobs"][name]["steps"]
    fallback = [s for s in steps if str(s.get("if", "")).startswith("failure()") and "invoke rollback" in s["run"]]
    assert fallback, f"deploy.yml's {name} job has no rollback step for a failed deploy"
    return shlex.split(fallback[0]["run"])
