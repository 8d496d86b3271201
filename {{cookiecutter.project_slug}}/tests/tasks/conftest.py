"""Fixtures for the invoke tasks' tests: configs, a scratch project, moto's server, a fake Kubernetes API.

Self-contained: nothing here needs PostgreSQL, Docker, AWS or a cluster.
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import warnings
from pathlib import Path

import pytest
from invoke import Config, MockContext, Result

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fake_kube import FakeKube  # noqa: E402

import tasks  # noqa: E402  (the project root must be importable first)

# The region the tasks use (from the cookiecutter answers), so boto3 here and in the tasks agree.
REGION = tasks.ns.configuration()["project"]["region"]
FAST = {"job_timeout": 5, "rollout_timeout": 5, "delete_timeout": 5, "poll_interval": 0.01}


def make_config(root: Path, dry: bool = False) -> Config:
    """The tasks' own configuration (ns.configure), pointed at ``root``, with fast timeouts."""
    # in_stream False: pytest owns stdin, so real commands must not read it.
    config = Config(overrides={"project": {"root": str(root)}, "run": {"dry": dry, "in_stream": False}, "deploy": FAST})
    config.load_collection(tasks.ns.configuration())
    return config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project with two environments, a bootstrap root and a static folder."""
    for env in ("staging", "production"):
        (tmp_path / "terraform" / "environments" / env).mkdir(parents=True)
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's server on a free loopback port for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    # moto answers as the project's account, so STS and ARNs match the cookiecutter answers
    account = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = tasks.ns.configuration()["project"]["account_id"]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    if account is None:
        os.environ.pop("MOTO_ACCOUNT_ID")
    else:
        os.environ["MOTO_ACCOUNT_ID"] = account


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
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
    import boto3

    return boto3.session.Session(region_name=REGION)


def create_bucket(session, name: str) -> None:
    """S3 wants a location constraint everywhere but us-east-1."""
    where = {} if REGION == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": REGION}}
    session.client("s3").create_bucket(Bucket=name, **where)


@pytest.fixture
def fake_kube():
    """A fake Kubernetes API server on a free loopback port (HTTP), with scripted outcomes."""
    server = FakeKube(free_port())
    server.start()
    yield server
    server.stop()


# For tests that run real commands through invoke: invoke's Local runner leaves the child's pipes to
# the garbage collector (a ResourceWarning, an error under this project's warning filter).
def real_runs(test):
    return pytest.mark.usefixtures("collect_pipes")(pytest.mark.filterwarnings("ignore::ResourceWarning")(test))


@pytest.fixture
def collect_pipes():
    """Collect leftover pipes inside the test that made them, not in a later one."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
