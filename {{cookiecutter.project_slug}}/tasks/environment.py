"""What a task works on, resolved once at its top: the project, and one environment with its account,
its Terraform outputs (read from the state object in S3 — no `terraform init`, no provider download)
and its cluster connection (EKS with an STS token, or a kubeconfig such as `invoke tunnel` writes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Context, Exit

from . import _aws
from .effects import Effects

if TYPE_CHECKING:
    from ._kube import Kube

KUBECONFIG_HELP = (
    "Kubeconfig to reach the cluster (e.g. the one `invoke tunnel` writes); default: EKS with your AWS identity."
)


@dataclass(frozen=True)
class Timing:
    """How long tasks wait and how often they look (``deploy.*`` in the invoke configuration), in seconds."""

    job: float = 600
    rollout: float = 600
    delete: float = 300
    poll: float = 3
    progress_every: float = 10
    smoke_window: float = 60
    retry_budget: float = 60
    retry_first: float = 0.5


@dataclass(frozen=True)
class Project:
    """The answers the tasks need (``project.*`` in the invoke configuration)."""

    root: Path
    slug: str
    package: str
    region: str
    registry_account_id: str
    github_repository: str
    node_instance_type: str
    accounts: dict[str, str]  # environment -> AWS account id
    timing: Timing

    @property
    def repository_url(self) -> str:
        """The one ECR repository every environment pulls from (in the registry account)."""
        return f"{self.registry_account_id}.dkr.ecr.{self.region}.amazonaws.com/{self.slug}"

    def state_bucket(self, account_id: str) -> str:
        return f"{self.slug}-tfstate-{account_id}"


def project(c: Context) -> Project:
    p = c.config.project
    return Project(
        root=Path(p.root),
        slug=p.slug,
        package=p.package,
        region=p.region,
        registry_account_id=str(p.registry_account_id),
        github_repository=p.github_repository,
        node_instance_type=p.node_instance_type,
        accounts={name: str(settings["account_id"]) for name, settings in dict(c.config.environments).items()},
        timing=Timing(**{key: float(value) for key, value in dict(c.config.deploy).items()}),
    )


def directories(parent: Path) -> list[str]:
    """The sorted names of the directories under ``parent`` (hidden ones skipped)."""
    if not parent.is_dir():
        return []
    return sorted(p.name for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))


def check_name(name: str | None, provisioned: list[str], cluster_only: list[str], kubeconfig: str | None) -> str:
    """``name`` when it is an environment a task can work on, else one sentence listing the valid ones."""
    if name in provisioned or (name in cluster_only and kubeconfig):
        return name
    if name in cluster_only:
        raise Exit(f"--env {name} has no Terraform (no terraform/environments/{name}): pass --kubeconfig to reach it.")
    if not provisioned:
        raise Exit("No environments found: terraform/environments has no directories.")
    shown = "(none given)" if not name else repr(name)
    also = f" (or, with --kubeconfig, {', '.join(cluster_only)})" if cluster_only else ""
    raise Exit(f"--env {shown} is not an environment; choose one of: {', '.join(provisioned)}{also}.")


def outputs_of(state: dict | None) -> dict[str, object]:
    """``{name: value}`` of a Terraform state object's root outputs."""
    return {name: entry["value"] for name, entry in ((state or {}).get("outputs") or {}).items()}


def read_state(session, bucket: str, key: str) -> dict | None:
    """The state object at ``s3://bucket/key``, or None when there is none yet."""
    s3 = session.client("s3")
    with _aws.aws_errors(f"reading the Terraform state s3://{bucket}/{key}"):
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
    return json.loads(body)


@dataclass
class Environment:
    """One environment as a task sees it; ``state`` is None for a cluster-only one (no Terraform)."""

    name: str
    project: Project
    fx: Effects
    account_id: str | None
    state: dict | None = None
    kubeconfig: Path | None = None

    @property
    def provisioned(self) -> bool:
        return self.account_id is not None

    @property
    def terraform_dir(self) -> Path:
        return self.project.root / "terraform" / "environments" / self.name

    @property
    def state_key(self) -> str:
        return f"{self.name}/terraform.tfstate"

    @property
    def outputs(self) -> dict[str, object]:
        return outputs_of(self.state)

    def output(self, name: str) -> str:
        """One Terraform output as a string; a missing one is one sentence saying what to run."""
        if name not in self.outputs:
            if self.state is None:
                raise Exit(
                    f"{self.name} has no Terraform state yet (s3://{self.project.state_bucket(self.account_id or '')}/"
                    f"{self.state_key}): run `invoke provision --env {self.name}` first."
                )
            raise Exit(
                f"Terraform output {name!r} is missing in {self.name}: run `invoke provision --env {self.name}`."
            )
        return str(self.outputs[name])

    def read_state(self) -> dict | None:
        """The environment's Terraform state object, read now from its account's state bucket."""
        return read_state(self.session, self.project.state_bucket(self.account_id or ""), self.state_key)

    @cached_property
    def session(self):
        return _aws.session(self.project.region)

    @cached_property
    def kube(self) -> Kube:
        """The cluster: from ``--kubeconfig``, else EKS DescribeCluster with an STS token (no AWS CLI)."""
        from ._kube import Kube, Retry

        retry = Retry(budget=self.project.timing.retry_budget, first=self.project.timing.retry_first)
        if self.kubeconfig is not None:
            return Kube.from_file(self.kubeconfig, self.fx, retry)
        cluster = self.output("cluster_name")
        config = _aws.cluster_kubeconfig(self.session, cluster)
        return Kube.from_dict(config, self.fx, lambda: _aws.eks_token(self.session, cluster), retry=retry)


def target(c: Context, name: str | None) -> Environment:
    """An environment with Terraform, for the tasks that run Terraform themselves (no state read)."""
    p = project(c)
    name = check_name(name, directories(p.root / "terraform" / "environments"), [], None)
    if name not in p.accounts:
        raise Exit(f"environments.{name}.account_id is not set: add it to invoke.yaml (see tasks/__init__.py).")
    return Environment(name, p, Effects(c), p.accounts[name])


def resolve(c: Context, name: str | None, kubeconfig: str | None = None) -> Environment:
    """The environment a cluster or AWS task works on, its Terraform outputs read once from S3."""
    p = project(c)
    provisioned = directories(p.root / "terraform" / "environments")
    cluster_only = [n for n in directories(p.root / "k8s" / "overlays") if n not in provisioned]
    name = check_name(name, provisioned, cluster_only, kubeconfig)
    path = None
    if kubeconfig:
        path = Path(kubeconfig).expanduser().resolve()
        if not path.is_file():
            raise Exit(f"--kubeconfig {kubeconfig} is not a file: run `invoke tunnel --env {name}` to write one.")
    if name not in provisioned:
        return Environment(name, p, Effects(c), None, None, path)
    env = target(c, name)
    env.kubeconfig = path
    env.state = env.read_state()
    return env
