"""Terraform tasks: bootstrap an account, provision an environment (or save and apply a plan), check
it for drift, and destroy it — asking first, and deleting nothing before the answer."""

from __future__ import annotations

from pathlib import Path

from invoke import Exit, task

from . import _aws
from ._kube import KubeError
from ._terraform import Terraform, plan_prior_state, stale_plan
from ._text import ask, table
from .deploy import wait_gone
from .environment import KUBECONFIG_HELP, Environment, resolve, target

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"


def backend_config(env: Environment) -> dict[str, str]:
    """The S3 backend of an environment: its account's state bucket, one key per environment."""
    return {
        "bucket": env.project.state_bucket(env.account_id or ""),
        "key": env.state_key,
        "region": env.project.region,
    }


def terraform(c, env: Environment, directory: Path) -> Terraform:
    return Terraform(env.fx, directory, lock_timeout=str(c.config.terraform.lock_timeout))


def plan_path(env: Environment, suffix: str = "") -> Path:
    return env.project.root / ".cache" / f"{env.name}{suffix}.tfplan"


def has_github_provider(arns: list[str]) -> bool:
    """Whether one of the account's OIDC provider ARNs is GitHub Actions' (one per URL per account)."""
    return any(arn.endswith(f":oidc-provider/{GITHUB_OIDC_HOST}") for arn in arns)


def _created(plan: dict, kind: str) -> list[dict]:
    return [
        change
        for change in plan.get("resource_changes") or []
        if change["type"] == kind and "create" in change["change"]["actions"]
    ]


def awaited_validations(plan: dict) -> list[str]:
    """Modules whose new certificate validation waits for records no Terraform resource writes.

    With a Route 53 zone, ``validation_record_fqdns`` lists the records Terraform creates (unknown at
    plan time); without one it is null, and the apply waits until a person has created the records
    of the output ``certificate_validation_records`` — an output that exists only after an apply.
    """
    return [
        change.get("module_address", "")
        for change in _created(plan, "aws_acm_certificate_validation")
        if not (change["change"].get("after") or {}).get("validation_record_fqdns")
        and not (change["change"].get("after_unknown") or {}).get("validation_record_fqdns")
    ]


def certificates_first(plan: dict) -> list[str]:
    """Addresses of the certificates to request alone before the full apply: the new ones whose
    validation waits for hand-made records (empty with a Route 53 zone, and once they exist)."""
    waiting = set(awaited_validations(plan))
    # Without the instance key (`[0]`): the same address as in docs/runbook.md, and no shell quoting.
    return [
        ".".join(filter(None, (c.get("module_address"), c["type"], c["name"])))
        for c in _created(plan, "aws_acm_certificate")
        if c.get("module_address", "") in waiting
    ]


def identity_refusal(caller_account: str, env: Environment) -> str | None:
    if caller_account != env.account_id:
        return (
            f"Your AWS credentials are for account {caller_account}, but {env.name} lives in {env.account_id}: "
            "sign in to that account (e.g. `aws sso login --profile …`) and run this again."
        )
    return None


def signed_in(env: Environment) -> None:
    """Stop with one sentence unless there are AWS credentials for the environment's account: without
    them `terraform init` fails only after pages of its own output."""
    refusal = identity_refusal(_aws.caller_identity(env.session)["Account"], env)
    if refusal:
        raise Exit(refusal)


@task(
    help={
        "env": "Environment whose AWS account to bootstrap (one run per account; a second one changes nothing).",
        "auto_approve": "Apply the plan without asking (CI).",
    }
)
def bootstrap(c, env=None, auto_approve=False):
    """Create an account's base once: state bucket and key, GitHub OIDC (adopted if present), CI roles, ECR."""
    env = target(c, env)
    signed_in(env)  # a dry run too: it reads the account's OIDC providers
    with _aws.aws_errors("listing the account's OIDC providers"):
        providers = env.session.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    exists = has_github_provider([p["Arn"] for p in providers])
    print(f"GitHub's OIDC provider {'exists in' if exists else 'is new to'} account {env.account_id}.")
    tf = terraform(c, env, env.project.root / "terraform" / "bootstrap")
    tf.init()
    tf.workspace(env.account_id or "")  # its state stays local, one workspace per account
    plan = str(env.project.root / ".cache" / f"bootstrap-{env.account_id}.tfplan")
    # <env>.tfvars names the account and the environments living in it (bootstrap/README.md).
    adopt = {"github_oidc_provider_exists": "true" if exists else "false"}
    if not tf.plan(plan, adopt, var_file=f"{env.name}.tfvars"):
        print(f"Account {env.account_id} is already bootstrapped: nothing to change.")
        return
    if not (auto_approve or env.fx.dry or ask("Apply this plan? Type 'yes':", "yes")):
        raise Exit(f"Not applied; the plan is saved in {plan}.")
    tf.apply(plan)


@task(
    help={
        "env": "Environment to provision (a directory under terraform/environments).",
        "plan_only": "Save the plan and stop (CI's plan job); with a read-only identity, so no state lock.",
        "out": "Where --plan-only saves the plan (default: .cache/ENV.tfplan).",
        "plan_file": "Apply exactly this saved plan (CI's apply job); a stale one is refused.",
        "auto_approve": "Apply a fresh plan without asking.",
    }
)
def provision(c, env=None, plan_only=False, out=None, plan_file=None, auto_approve=False):
    """Plan an environment's Terraform and apply it, or save the plan, or apply a saved plan."""
    if plan_file and (plan_only or out):
        raise Exit("--plan-file applies a saved plan: it does not go with --plan-only or --out.")
    if out and not plan_only:
        raise Exit("--out names where --plan-only saves the plan: pass --plan-only with it.")
    if plan_file and not Path(plan_file).is_file():
        raise Exit(f"--plan-file {plan_file} does not exist.")
    env = target(c, env)
    if not env.fx.dry:  # a dry run runs no Terraform, so it lists the commands without credentials
        signed_in(env)
    tf = terraform(c, env, env.terraform_dir)
    if plan_file:
        path = Path(plan_file).resolve()
        why = stale_plan(plan_prior_state(path), env.read_state())
        if why:
            raise Exit(f"The plan in {plan_file} is stale — {why}: make a new one and review it again.")
        tf.init(backend_config(env))
        tf.apply(str(path))
        print(f"Applied {plan_file} to {env.name}; next: `invoke cluster.setup --env {env.name}`.")
        return
    tf.init(backend_config(env))
    path = Path(out).resolve() if out else plan_path(env)
    changes = tf.plan(str(path), lock=not plan_only)
    if plan_only:
        print(
            f"Saved the plan in {path}; apply exactly it with `invoke provision --env {env.name} --plan-file {path}`."
        )
        return
    if not changes:
        print(f"No changes: {env.name} matches its Terraform.")
        return
    # A dry run made no plan file to read: it lists the effects of a plan without a certificate to wait for.
    plan = {} if env.fx.dry else tf.show(str(path))
    if not (auto_approve or env.fx.dry or ask(f"Apply this plan to {env.name}? Type 'yes':", "yes")):
        raise Exit(f"Not applied; the plan is saved in {path} (apply it with --plan-file).")
    first = certificates_first(plan)
    if first:
        request_certificates(env, tf, first, stop=auto_approve)
        tf.plan(str(path))  # the full plan again: the certificates are in the state now
    elif awaited_validations(plan):
        show_validation_records(env, tf, "The apply waits until ACM sees these DNS records")
    tf.apply(str(path))


def request_certificates(env: Environment, tf: Terraform, certificates: list[str], stop: bool) -> None:
    """The first step of a first apply with a domain and no Route 53 zone: the certificates alone, their
    validation records printed, and a person's word that the records exist before the apply that waits."""
    print(
        f"{env.name}'s domain has no Route 53 zone, so ACM issues its certificate only after you create the "
        "validation records, and those exist only once the certificate does: requesting it alone first."
    )
    step = str(plan_path(env, "-certificates"))
    tf.plan(step, targets=certificates)
    tf.apply(step)
    show_validation_records(env, tf, "Create these DNS records at the domain's DNS provider")
    question = "Created them? Type 'yes' to apply the rest (it waits until ACM has issued the certificate):"
    if stop or not ask(question, "yes"):
        raise Exit(
            f"The certificate is requested; nothing else was applied. Create the records above, then run "
            f"`invoke provision --env {env.name}` again."
        )


def show_validation_records(env: Environment, tf: Terraform, lead: str) -> None:
    if env.fx.dry:
        return
    records = tf.output("certificate_validation_records") or []
    rows = [("name", "type", "value")] + [(r["name"], r["type"], r["value"]) for r in records]
    print(f"{lead} (`terraform output -json certificate_validation_records`):\n{table(rows)}")


@task(help={"env": "Environment to compare with its Terraform."})
def drift(c, env=None):
    """Plan with -detailed-exitcode against the live account: no changes passes, any change fails."""
    env = target(c, env)
    if not env.fx.dry:  # as in provision
        signed_in(env)
    tf = terraform(c, env, env.terraform_dir)
    tf.init(backend_config(env))
    changes = tf.plan(str(plan_path(env, "-drift")), lock=False)
    if env.fx.dry:
        return
    if changes:
        raise Exit(f"{env.name} has drifted from its Terraform: the plan above lists what differs.")
    print(f"No drift: {env.name} matches its Terraform.")


def cluster_leftovers(env: Environment) -> list[tuple[str, str]]:
    """(path, description) of what must leave the cluster before Terraform deletes it: LoadBalancer
    Services (their AWS load balancers would outlive the VPC otherwise), then the app's namespace."""
    if "cluster_name" not in env.outputs and env.kubeconfig is None:
        return []
    try:
        services = env.kube.items("/api/v1/services")
    except KubeError as error:
        raise Exit(f"Cannot list {env.name}'s Services ({error.message}): nothing was deleted.") from None
    found = [
        (
            f"/api/v1/namespaces/{s['metadata']['namespace']}/services/{s['metadata']['name']}",
            f"Service {s['metadata']['namespace']}/{s['metadata']['name']} (type LoadBalancer)",
        )
        for s in services
        if s["spec"].get("type") == "LoadBalancer"
    ]
    namespace = env.project.slug
    if env.kube.get(f"/api/v1/namespaces/{namespace}") is not None:
        found.append((f"/api/v1/namespaces/{namespace}", f"Namespace {namespace}"))
    return found


@task(
    help={
        "env": "Environment to destroy.",
        "confirm": "The environment's name again, instead of answering the question (CI).",
        "kubeconfig": KUBECONFIG_HELP,
    }
)
def destroy(c, env=None, confirm=None, kubeconfig=None):
    """Show what goes, ask (or take --confirm), then delete load balancers, the namespace, and Terraform's plan."""
    env = resolve(c, env, kubeconfig)
    if not env.provisioned:
        raise Exit(f"{env.name} has no Terraform: delete its cluster yourself.")
    if confirm is not None and confirm != env.name:
        raise Exit(f"--confirm {confirm} does not name the environment to destroy ({env.name}): nothing was deleted.")
    tf = terraform(c, env, env.terraform_dir)
    tf.init(backend_config(env))
    plan = plan_path(env, "-destroy")
    tf.plan(str(plan), destroy=True)
    leftovers = cluster_leftovers(env)
    print(
        f"Destroying {env.name} deletes every resource in the plan above"
        + (f", and first from its cluster: {', '.join(what for _, what in leftovers)}." if leftovers else ".")
    )
    if confirm != env.name and not (
        env.fx.dry or ask(f"Type the environment's name ({env.name}) to destroy it:", env.name)
    ):
        raise Exit(f"Not destroyed: nothing was deleted (answer with {env.name}, or pass --confirm {env.name}).")
    for path, what in leftovers:
        env.kube.delete(path, what)
    for path, what in leftovers:  # a LoadBalancer Service goes only after its AWS load balancer did
        wait_gone(env, path, what)
    tf.apply(str(plan))
    print(f"{env.name} is destroyed. The account's bootstrap (state bucket, ECR) is kept.")
