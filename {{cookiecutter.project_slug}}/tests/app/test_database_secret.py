"""Credentials per connection: the RDS-managed secret (against a real moto server) and IAM tokens."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from sqlalchemy.engine import make_url

from {{ cookiecutter.package_name }} import create_app, database_secret
from {{ cookiecutter.package_name }}.database_secret import (
    CredentialsError,
    IamTokenCredentials,
    SecretCredentials,
    aws_client,
    credentials_for,
)
from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.settings import Settings

PASSWORD = "p@ss:w/rd%"  # Characters that break a naively built URL.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's server on a free loopback port for this module, in a thread of this process."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


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


def read(secret_id: str) -> dict[str, str]:
    return SecretCredentials(secret_id, "us-east-1").current()


@pytest.mark.usefixtures("aws")
def test_app_connects_with_the_secret(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = make_url(database_url)
    if target.get_backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): the app logs in to DATABASE_HOST")
    username = target.username or "app"
    secret_id = create_secret(json.dumps({"username": username, "password": PASSWORD}))
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_SECRET_ID", secret_id)
    monkeypatch.setenv("DATABASE_HOST", target.host or "db.internal")
    monkeypatch.setenv("DATABASE_PORT", str(target.port or 5432))
    monkeypatch.setenv("DATABASE_NAME", target.database or "app")
    app = create_app()
    # The server trusts local connections, so the password is sent but not checked here; the
    # template's reliability tests prove a rotation against a server that checks it.
    assert app.test_client().get("/readyz").status_code == 200
    assert Database.state(app).engine.url.password is None  # Never in the URL: asked for per connection.
    Database.state(app).engine.dispose()


@pytest.mark.usefixtures("aws")
def test_a_rotated_secret_is_read_again_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    secret_id = create_secret(json.dumps({"username": "app", "password": "old"}))
    credentials = SecretCredentials(secret_id, "us-east-1")
    assert credentials.current() == {"user": "app", "password": "old"}
    boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
        SecretId=secret_id, SecretString=json.dumps({"username": "app", "password": "new"})
    )
    assert credentials.current()["password"] == "old"  # Cached until the server rejects it.
    stale = {"user": "app", "password": "old"}
    assert not credentials.refresh(stale)  # Read a moment ago: a storm of rejections reads it once.
    monkeypatch.setattr(database_secret, "REFRESH_INTERVAL_SECONDS", 0.0)
    assert credentials.refresh(stale)
    assert credentials.current()["password"] == "new"
    # A thread whose login with the old password failed meanwhile tries the new one, without a read.
    monkeypatch.setattr(database_secret, "REFRESH_INTERVAL_SECONDS", 3600.0)
    assert credentials.refresh(stale)
    assert not credentials.refresh(credentials.current())  # The newest was rejected: nothing to try.


@pytest.mark.usefixtures("aws")
def test_missing_secret_is_one_clear_error() -> None:
    with pytest.raises(CredentialsError, match=r"DATABASE_SECRET_ID='nope' could not be read: .*NotFound"):
        read("nope")


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    "secret_string",
    ["not json", json.dumps({"username": "u"}), json.dumps(["u", "p"])],
    ids=["not-json", "no-password", "not-an-object"],
)
def test_malformed_secret_is_one_clear_error(secret_string: str) -> None:
    secret_id = create_secret(secret_string)
    with pytest.raises(CredentialsError, match="must hold JSON with 'username' and 'password'"):
        read(secret_id)


@pytest.mark.usefixtures("aws")
def test_non_string_credentials_are_refused() -> None:
    secret_id = create_secret(json.dumps({"username": "u", "password": 1234}))
    with pytest.raises(CredentialsError, match="username and password must be strings"):
        read(secret_id)


def test_unreachable_endpoint_is_one_clear_error(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CredentialsError, match="DATABASE_SECRET_ID='s' could not be read: Could not connect"):
        read("s")


def test_an_unreadable_secret_makes_requests_503_not_a_crash(aws: str) -> None:
    app = create_app(
        {"APP_ENV": "test", "DATABASE_SECRET_ID": "missing", "DATABASE_HOST": "db.internal", "DATABASE_NAME": "app"}
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


@pytest.mark.usefixtures("aws")
def test_the_app_role_logs_in_with_an_iam_token_minted_per_connection() -> None:
    credentials = IamTokenCredentials("example_app", "db.internal", 5432, "us-east-1")
    first, second = credentials.current(), credentials.current()
    assert first["user"] == "example_app"
    assert first["password"].startswith("db.internal:5432/?Action=connect&DBUser=example_app&")
    assert "X-Amz-Signature=" in first["password"]
    assert not credentials.refresh(first)
    assert second["password"].startswith("db.internal:5432/")


def test_the_web_app_uses_iam_and_the_migration_the_master_secret() -> None:
    settings = Settings(
        app_env="production",
        database_host="db.internal",
        database_name="app",
        database_user="example_app",
        database_secret_id="rds!db-1",
    )
    assert isinstance(credentials_for(settings), IamTokenCredentials)
    assert isinstance(credentials_for(settings, master=True), SecretCredentials)
    assert credentials_for(Settings(database_url="postgresql://u:p@h/db")) is None


def test_aws_calls_have_bounded_timeouts() -> None:
    config = aws_client("secretsmanager", "us-east-1").meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (2, 3, 2)
