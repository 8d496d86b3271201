"""Terraform tasks: bootstrap, provision, destroy, and the per-environment outputs cache."""

from __future__ import annotations

import json
from pathlib import Path

from invoke import Context, Exit, task

from ._terraform import Terraform
from .env import is_dry, project_root, resolve_env


def backend_config(slug: str, account_id: str, region: str, env: str) -> dict[str, str]:
    """The S3 backend of an environment: the bootstrap state bucket, one key per environment."""
    return {"bucket": f"{slug}-tfstate-{account_id}", "key": f"{env}/terraform.tfstate", "region": region}


def destroy_refusal(env: str, confirm: str | None, protected: list[str]) -> str | None:
    """Why ``destroy`` must not run, or None. Protected environments need ``--confirm <env>``."""
    if env in protected and confirm != env:
        return f"Refusing to destroy {env}: it is protected; pass --confirm {env} to really destroy it."
    return None


def outputs_path(root: Path, env: str) -> Path:
    return root / ".cache" / f"outputs-{env}.json"


def output_value(outputs: dict[str, object], name: str, env: str, dry: bool) -> str:
    """One Terraform output as a string; under --dry a missing one becomes a visible placeholder."""
    if name in outputs:
        return str(outputs[name])
    if dry:
        return f"<{name}>"
    raise Exit(f"Terraform output {name!r} is missing for {env}: run `invoke provision --env {env}` first.")


def environment_dir(c: Context, env: str) -> Path:
    return project_root(c) / "terraform" / "environments" / env


def cache_dir(c: Context) -> Path:
    """``.cache/`` of the project (plans, outputs); not created under --dry."""
    path = project_root(c) / ".cache"
    if not is_dry(c):
        path.mkdir(exist_ok=True)
    return path


def save_outputs(c: Context, env: str, outputs: dict[str, object]) -> None:
    if is_dry(c) or not outputs:
        return
    path = outputs_path(project_root(c), env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    print(f"Cached {len(outputs)} Terraform outputs in {path.relative_to(project_root(c))}.")


def init_env(c: Context, tf: Terraform, env: str) -> None:
    p = c.config.project
    tf.init(backend_config(p.slug, p.account_id, p.region, env))


def load_outputs(c: Context, env: str) -> dict[str, object]:
    """The environment's outputs: from the cache, else read from the state (and cached)."""
    path = outputs_path(project_root(c), env)
    if path.exists():
        return json.loads(path.read_text())
    with Terraform(c, environment_dir(c, env)) as tf:
        init_env(c, tf, env)
        outputs = tf.output()
    save_outputs(c, env, outputs)
    return outputs


def ask_yes(question: str) -> bool:
    try:
        return input(f"{question} Type 'yes' to continue: ").strip() == "yes"
    except EOFError:
        return False


@task
def bootstrap(c):
    """Create the account-level resources once (state bucket, ECR repository, GitHub OIDC); idempotent."""
    plan_file = str(cache_dir(c) / "bootstrap.tfplan")
    with Terraform(c, project_root(c) / "terraform" / "bootstrap") as tf:
        tf.init()
        if not tf.plan(out=plan_file) and not is_dry(c):
            print("Bootstrap is already in place: nothing to change.")
            return
        tf.apply(plan_file)


@task(
    help={
        "env": "Environment to provision (a directory under terraform/environments).",
        "plan_only": "Stop after saving and showing the plan.",
        "auto_approve": "Apply the saved plan without asking (CI).",
    }
)
def provision(c, env=None, plan_only=False, auto_approve=False):
    """Plan and apply an environment's Terraform, then cache its outputs for deploy."""
    env = resolve_env(c, env)
    plan_file = str(cache_dir(c) / f"{env}.tfplan")
    with Terraform(c, environment_dir(c, env)) as tf:
        init_env(c, tf, env)
        changes = tf.plan(out=plan_file)
        if plan_only:
            return
        if changes or is_dry(c):
            if not (auto_approve or is_dry(c) or ask_yes(f"Apply this plan to {env}?")):
                raise Exit(f"Not applied; the plan is saved in {plan_file}.")
            tf.apply(plan_file)
        save_outputs(c, env, tf.output())


@task(
    help={
        "env": "Environment to destroy.",
        "confirm": "Required for protected environments (production): repeat the environment name.",
        "auto_approve": "Do not ask Terraform's own 'yes' question (CI).",
    }
)
def destroy(c, env=None, confirm=None, auto_approve=False):
    """Remove the app from the cluster (so nothing holds AWS resources), then terraform destroy."""
    from .k8s import remove_workloads  # k8s imports this module

    env = resolve_env(c, env)
    refusal = destroy_refusal(env, confirm, list(c.config.project.protected_environments))
    if refusal:
        raise Exit(refusal)
    remove_workloads(c, env)
    with Terraform(c, environment_dir(c, env)) as tf:
        init_env(c, tf, env)
        tf.destroy(auto_approve=auto_approve)
    if not is_dry(c):
        outputs_path(project_root(c), env).unlink(missing_ok=True)
