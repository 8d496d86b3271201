"""Fixtures for the invoke tasks' tests: configs, a scratch project, moto's server, a fake Kubernetes API.

Self-contained: nothing here needs PostgreSQL, Docker, AWS or a cluster.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import re
import socket
import sys
import warnings
from pathlib import Path

import pytest
import yaml
from invoke import Config, MockContext, Result

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fake_kube import FakeKube  # noqa: E402

import tasks  # noqa: E402  (the project root must be importable first)
from tasks.effects import DRY, MARK  # noqa: E402

# The answers the tasks use, so boto3 here and in the tasks agree.
SETTINGS = tasks.ns.configuration()
REGION = SETTINGS["project"]["region"]
STAGING_ACCOUNT = SETTINGS["environments"]["staging"]["account_id"]
SLUG = SETTINGS["project"]["slug"]
FAST = {
    "job": 5,
    "rollout": 5,
    "delete": 5,
    "poll": 0.01,
    "progress_every": 10,
    "smoke_window": 0.5,
    "retry_budget": 1,
    "retry_first": 0.01,
}


def make_config(root: Path, dry: bool = False) -> Config:
    """The tasks' own configuration (ns.configure), pointed at ``root``, with fast timeouts."""
    # in_stream False: pytest owns stdin, so real commands must not read it.
    config = Config(overrides={"project": {"root": str(root)}, "run": {"dry": dry, "in_stream": False}, "deploy": FAST})
    config.load_collection(tasks.ns.configuration())
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project: two environments with Terraform, overlays for them and for e2e, a bootstrap root."""
    for env in ("staging", "production"):
        (tmp_path / "terraform" / "environments" / env).mkdir(parents=True)
    for env in ("staging", "production", "e2e"):
        overlay = tmp_path / "k8s" / "overlays" / env
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(yaml.safe_dump({"resources": [], "images": [{"name": "app"}]}))
        (overlay / "config.env").write_text("DATABASE_HOST=\nDATABASE_SECRET_ID=\n")
    (tmp_path / "terraform" / "bootstrap").mkdir()
    return tmp_path


@pytest.fixture
def mock_context(project: Path):
    """``mock_context(dry=False, run=...)`` → a MockContext on the scratch project."""

    def make(dry: bool = False, run=None) -> MockContext:
        return MockContext(config=make_config(project, dry), run=run if run is not None else Result(""))

    return make


def commands(context: MockContext) -> list[str]:
    """The command lines a MockContext was asked to run, in order."""
    return [call.args[0] for call in context.run.call_args_list]


def effect_lines(printed: str) -> list[str]:
    """The effects a task printed, the same way for a real and a dry run."""
    return [line.removeprefix(MARK).removeprefix(DRY) for line in printed.splitlines() if line.startswith(MARK)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's server on a free loopback port for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    # moto answers as the staging (and registry) account, so STS and ARNs match the answers
    account = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = STAGING_ACCOUNT
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    if account is None:
        os.environ.pop("MOTO_ACCOUNT_ID")
    else:
        os.environ["MOTO_ACCOUNT_ID"] = account


@pytest.fixture(scope="session")
def aws_session():
    """The tasks' own kind of session (it shares the loaded API models), one for the whole run:
    building one costs about 15 ms of CPU, and the tasks under test build their own anyway. Its
    credentials are read at its first client, under the dummy ones `aws` sets."""
    from tasks import _aws

    return _aws.session(REGION)


@pytest.fixture
def aws(moto_endpoint, aws_session, monkeypatch):
    """Point boto3 at moto (fresh state per test) with dummy credentials."""
    import urllib.request

    # our own loopback http URL, so S310's scheme worry does not apply
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(reset) as response:  # noqa: S310
        response.read()
    for name in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return aws_session


@pytest.fixture
def no_credentials(aws, monkeypatch, tmp_path):
    """No AWS credentials anywhere boto3 looks (moto still answers, so a call would not hang)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def create_bucket(s3, name: str) -> None:
    """S3 wants a location constraint everywhere but us-east-1 (``s3``: an S3 client)."""
    where = {} if REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
    s3.create_bucket(Bucket=name, **where)


@functools.cache
def s3_client(session):
    """One S3 client per session for the tests' own S3 calls: one costs ~10 ms of CPU to build, and the
    endpoint and dummy credentials `aws` gives it stay the same for the whole run."""
    return session.client("s3")


def put_state(session, outputs: dict, env: str = "staging", serial: int = 7, lineage: str = "lineage-1") -> dict:
    """A Terraform state object with these root outputs where the tasks read it (bucket made if needed)."""
    bucket, s3 = f"{SLUG}-tfstate-{STAGING_ACCOUNT}", s3_client(session)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        create_bucket(s3, bucket)
    state = {
        "version": 4,
        "serial": serial,
        "lineage": lineage,
        "outputs": {name: {"value": value, "type": "string"} for name, value in outputs.items()},
        "resources": [],
    }
    s3.put_object(Bucket=bucket, Key=f"{env}/terraform.tfstate", Body=json.dumps(state))
    return state


@pytest.fixture
def fake_kube():
    """A fake Kubernetes API server on a free loopback port (HTTP), with scripted outcomes and faults."""
    server = FakeKube(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig_file(fake_kube, tmp_path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(fake_kube.kubeconfig()))
    return str(path)


def run_results(outputs: dict[str, Result | str] | None = None) -> dict:
    """MockContext results by command pattern (a regex from the start); anything else succeeds silently."""
    results = {
        re.compile(pattern): result if isinstance(result, Result) else Result(result)
        for pattern, result in (outputs or {}).items()
    }
    results[re.compile(".*")] = Result("")
    return results


# invoke's runner leaves a command's pipes to the garbage collector, whose ResourceWarning this
# project's warning filter turns into an error in whichever test happens to collect them. Every test
# here runs commands, so the warning is ignored here, and what is left is collected once at the end
# (a collection after each test cost more than the tests themselves).
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))


@pytest.fixture(scope="package", autouse=True)
def collect_pipes_once():
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
