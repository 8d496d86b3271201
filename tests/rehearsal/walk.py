"""The rehearsal: a person's documented steps run in order against offline stand-ins.

AWS is one `moto_server` per account (the walk signs in to the account of each command's `--env`,
and an account may already trust GitHub's OIDC provider), Terraform is a recording stand-in that
leaves behind what an apply would (standins/terraform.py), Kubernetes is the generated project's own
fake API (tests/tasks/fake_kube.py), one per cluster, and GitHub is a small record of what the `gh`
steps configured. Every `invoke` command runs as a person would run it: the project's `invoke` in its
directory, with its flags parsed by invoke itself. A step that needs what no earlier step made fails
where the real one would — a missing state bucket at `terraform init`, a missing state at the first
read of an output, a missing namespace at deploy — and the walk stops there, naming the step.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import standins
import terraform_facts
import yaml
from github_standin import GitHub, WalkFailed
from guide import Step

CLUSTER_TASKS = {"cluster.setup", "deploy", "rollback", "status", "logs", "db.migrate", "destroy"}
FAST = {
    "job": 20,
    "rollout": 20,
    "delete": 20,
    "poll": 0.05,
    "smoke_window": 1,
    "retry_budget": 10,
    "retry_first": 0.05,
}
VENV_BIN = Path(sys.executable).parent


@dataclass
class Ran:
    where: str
    command: str
    returncode: int
    output: str
    seconds: float


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(account: str, logs: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (logs / f"moto-{account}.log").open("w")
    server = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_ACCOUNT_ID": account},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded CI machine starts it slowly
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return server, url
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise WalkFailed(f"moto_server for account {account} did not start (see {log.name})") from None
            time.sleep(0.2)


def load_fake_kube(project: Path):
    """The generated project's own fake Kubernetes API (a unique module name per bake)."""
    path = project / "tests" / "tasks" / "fake_kube.py"
    spec = importlib.util.spec_from_file_location(f"fake_kube_{abs(hash(project))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeKube


class Walk:
    """One person's walk through one generated project; ``trusting_github`` names the environments
    whose account already has GitHub's OIDC provider (another service made it)."""

    def __init__(self, project: Path, scratch: Path, trusting_github: tuple[str, ...] = ("staging",)) -> None:
        self.project, self.scratch = project, scratch
        self.answers = json.loads((project / ".cookiecutter.json").read_text())
        self.slug = self.answers["project_slug"]
        self.accounts = {
            "staging": self.answers["aws_account_id"],
            "production": self.answers["production_aws_account_id"],
        }
        self.private = self.answers["kubernetes_api_access"] == "private"
        self.ran: list[Ran] = []
        self.github = GitHub()
        self.logs = scratch / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.bin = standins.install(scratch / "bin")
        self.moto: dict[str, str] = {}
        self.servers: list[subprocess.Popen] = []
        self.kube: dict[str, object] = {}
        try:
            self.start(trusting_github)
        except BaseException:
            self.close()
            raise

    def start(self, trusting_github: tuple[str, ...]) -> None:
        project, scratch = self.project, self.scratch
        for account in sorted(set(self.accounts.values())):
            server, url = start_moto(account, self.logs)
            self.servers.append(server)
            self.moto[account] = url
        for env in trusting_github:  # an account where another service already trusts GitHub Actions
            self.aws(env).create_open_id_connect_provider(
                Url="https://token.actions.githubusercontent.com",
                ClientIDList=["sts.amazonaws.com"],
                ThumbprintList=["a" * 40],
            )
        fake_kube = load_fake_kube(project)
        self.kubeconfigs: dict[str, Path] = {}
        for env in self.accounts:
            fake = fake_kube(free_port())
            fake.start()
            # What every EKS cluster has before anyone applies anything.
            fake.objects["/api/v1/namespaces/kube-system"] = {"kind": "Namespace", "metadata": {"name": "kube-system"}}
            self.kube[env] = fake
            self.kubeconfigs[env] = scratch / f"kubeconfig-{env}.yaml"
            self.kubeconfigs[env].write_text(yaml.safe_dump(fake.kubeconfig()))
        (project / "invoke.yaml").write_text(yaml.safe_dump({"run": {"in_stream": False}, "deploy": FAST}))
        self.outputs = {env: self.output_values(env) for env in self.accounts}
        (scratch / "outputs.json").write_text(json.dumps(self.outputs))

    def aws(self, env: str, service: str = "iam"):
        """A boto3 client signed in to ``env``'s account (its moto server)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.moto[self.accounts[env]],
            region_name=self.answers["aws_region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def close(self) -> None:
        for fake in self.kube.values():
            fake.stop()
        for server in self.servers:
            server.terminate()
            server.wait(timeout=10)

    # -- what the Terraform leaves behind ----------------------------------------------------------

    def output_values(self, env: str) -> dict[str, object]:
        """Every output the environment root declares — and only those — with plausible values."""
        account, region, name = self.accounts[env], self.answers["aws_region"], f"{self.slug}-{env}"
        known = {
            "region": region,
            "cluster_name": name,
            "cluster_arn": f"arn:aws:eks:{region}:{account}:cluster/{name}",
            "kubernetes_api_access": self.answers["kubernetes_api_access"],
            "access_instance_id": "i-0123456789abcdef0" if self.private else "",
            "ecr_repository_url": f"{self.accounts['staging']}.dkr.ecr.{region}.amazonaws.com/{self.slug}",
            "database_host": f"{name}.cluster.{region}.rds.amazonaws.com",
            "database_port": "5432",
            "database_secret_arn": f"arn:aws:secretsmanager:{region}:{account}:secret:rds!db-rehearsal",
            "runner_project_name": terraform_facts.runner_project(self.project, env),
            "certificate_validation_records": [],
            "no_tls_warning": "",
        }
        return {
            output: known.get(output, f"rehearsal-{output}")
            for output in terraform_facts.declared_outputs(self.project, env)
        }

    def environment(self, env: str | None, **extra: str) -> dict[str, str]:
        account = self.accounts.get(env or "staging", self.accounts["staging"])
        buckets = {a: terraform_facts.state_bucket(self.project, e) for e, a in self.accounts.items()}
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INVOKE_", "KUBECONFIG"))},
            "PATH": f"{self.bin}:{VENV_BIN}:{os.environ['PATH']}",
            "AWS_ENDPOINT_URL": self.moto[account],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.answers["aws_region"],
            "REHEARSAL_TERRAFORM_LOG": str(self.logs / "terraform.jsonl"),
            "REHEARSAL_BOOTSTRAP_BUCKETS": json.dumps(buckets),
            "REHEARSAL_OUTPUTS": str(self.scratch / "outputs.json"),
            "REHEARSAL_KUBERNETES_VERSION": self.answers["kubernetes_version"],
            "REHEARSAL_CERTIFICATES": json.dumps(
                {e: terraform_facts.certificates_awaiting_records(self.project, e) for e in self.accounts}
            ),
            **extra,
        }

    def terraform_calls(self) -> list[list[str]]:
        log = self.logs / "terraform.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    # -- running commands ----------------------------------------------------------------------------

    def invoke(self, where: str, words: list[str], answer: str = "yes\nyes\n", check: bool = True, **extra: str) -> Ran:
        """Run ``invoke TASK …`` in the project as a person would (``answer`` goes to its questions)."""
        words = list(words)
        task = next((w for w in words[1:] if not w.startswith("-")), None)
        env = words[words.index("--env") + 1] if "--env" in words else None
        if task in CLUSTER_TASKS and env in self.kube:
            self.reach_cluster(where, words, env)
        started = time.monotonic()
        run = subprocess.run(
            [str(VENV_BIN / "invoke"), *words[1:]],
            cwd=self.project,
            env=self.environment(env, **extra),
            input=answer,
            capture_output=True,
            text=True,
            timeout=180,
        )
        ran = Ran(where, shlex.join(words), run.returncode, run.stdout + run.stderr, time.monotonic() - started)
        self.ran.append(ran)
        if check and run.returncode != 0:
            raise WalkFailed(f"{where}: `{ran.command}` failed (exit {run.returncode}):\n{ran.output[-1500:]}")
        return ran

    def reach_cluster(self, where: str, words: list[str], env: str) -> None:
        """The stand-in for reaching the EKS endpoint: the fake API of ``env``'s cluster.

        A documented `--kubeconfig FILE` must be a file an earlier step wrote (the tunnel's); its
        server is then this fake. Without one, the task would use EKS directly: the fake's
        kubeconfig is passed in its place.
        """
        if "--kubeconfig" in words:
            path = self.project / words[words.index("--kubeconfig") + 1]
            if not path.is_file():
                raise WalkFailed(f"{where}: `{shlex.join(words)}` needs {path.name}, which no earlier step wrote")
            path.write_text(self.kubeconfigs[env].read_text())
        else:
            words += ["--kubeconfig", str(self.kubeconfigs[env])]

    def do(self, step: Step, command: str) -> None:
        words = shlex.split(command)
        where = f"{step}: `{command}`"
        if words[0] == "invoke":
            self.invoke(str(step), words, check=True)
        elif words[0] == "gh":
            self.gh(where, words)
        elif words[:2] == ["git", "push"]:
            self.push(str(step))
        elif words[0] in ("git", "pip"):
            pass  # the scratch project is the commit; the rehearsal's venv holds the ops extra
        elif words[0] == "curl":
            self.served_request(where, command)
        else:
            raise WalkFailed(f"{where}: the rehearsal does not know `{words[0]}`: teach it, or document a task")

    def walk(self, steps: list[Step]) -> None:
        for step in steps:
            for command in step.commands:
                self.do(step, command)

    # -- GitHub ----------------------------------------------------------------------------------------

    def gh(self, where: str, words: list[str]) -> None:
        self.github.play(where, words, self.answers["github_repository"])

    def push(self, where: str) -> None:
        """The first push to main: every workflow starts, so GitHub must be ready; then deploy.yml runs."""
        import workflow_run

        workflow_run.check_github_ready(self, where)
        workflow_run.run_deploy_workflow(self, where)

    def served_request(self, where: str, command: str) -> None:
        import workflow_run

        workflow_run.served_request(self, where, command)
