"""Credentials from an RDS-managed Secrets Manager secret, against a real moto server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }} import create_app
from {{ cookiecutter.package_name }}.config import ConfigError
from {{ cookiecutter.package_name }}.database_secret import read_database_secret
from {{ cookiecutter.package_name }}.db import Database

PASSWORD = "p@ss:w/rd%"  # Characters that break a naively built URL.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """`moto_server` on a free loopback port for this module."""
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start on port {port}")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """boto3 pointed at the moto server with fake credentials and no local AWS config."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return moto_endpoint


def create_secret(secret_string: str) -> str:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    name = f"rds-db-credentials/{time.monotonic_ns()}"
    client.create_secret(Name=name, SecretString=secret_string)
    return name


@pytest.mark.usefixtures("aws")
def test_app_connects_with_the_secret(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = make_url(database_url)
    username = target.username or "app"
    secret_id = create_secret(json.dumps({"username": username, "password": PASSWORD}))
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_SECRET_ID", secret_id)
    monkeypatch.setenv("DATABASE_HOST", target.host or "db.internal")
    monkeypatch.setenv("DATABASE_PORT", str(target.port or 5432))
    monkeypatch.setenv("DATABASE_NAME", target.database or "app")
    app = create_app()
    url = Database.state(app).engine.url
    assert (url.username, url.password) == (username, PASSWORD)
    assert url.get_backend_name() == "postgresql"
    if target.get_backend_name() == "postgresql":
        # The server trusts local connections, so the password is sent but not checked.
        assert app.test_client().get("/readyz").status_code == 200
    Database.state(app).engine.dispose()


@pytest.mark.usefixtures("aws")
def test_missing_secret_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"DATABASE_SECRET_ID='nope' could not be read: .*NotFound"):
        read_database_secret("nope")


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    "secret_string",
    ["not json", json.dumps({"username": "u"}), json.dumps(["u", "p"])],
    ids=["not-json", "no-password", "not-an-object"],
)
def test_malformed_secret_is_one_clear_error(secret_string: str) -> None:
    secret_id = create_secret(secret_string)
    with pytest.raises(ConfigError, match="must hold JSON with 'username' and 'password'"):
        read_database_secret(secret_id)


@pytest.mark.usefixtures("aws")
def test_non_string_credentials_are_refused() -> None:
    secret_id = create_secret(json.dumps({"username": "u", "password": 1234}))
    with pytest.raises(ConfigError, match="username and password must be strings"):
        read_database_secret(secret_id)


def test_unreachable_endpoint_is_one_clear_error(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigError, match="DATABASE_SECRET_ID='s' could not be read: Could not connect"):
        read_database_secret("s")


def test_create_app_reports_secret_errors(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_SECRET_ID", "missing")
    monkeypatch.setenv("DATABASE_HOST", "db.internal")
    monkeypatch.setenv("DATABASE_NAME", "app")
    with pytest.raises(ConfigError, match="DATABASE_SECRET_ID='missing' could not be read"):
        create_app()
