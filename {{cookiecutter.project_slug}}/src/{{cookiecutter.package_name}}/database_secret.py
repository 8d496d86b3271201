"""Database credentials that survive a password rotation, asked for per new connection.

- The app's own role (DATABASE_HOST + DATABASE_USER, the web pods): an RDS IAM authentication
  token, minted locally by boto3 for each new connection (valid 15 minutes, for logging in only).
  There is no password to rotate.
- The master user (DATABASE_SECRET_ID, the migration step): the RDS-managed secret, read on first
  use and read again when the server rejects its password (after a rotation), at most once every
  REFRESH_INTERVAL_SECONDS, with a log line saying so.

boto3 finds its region and credentials the usual way (EKS Pod Identity in the cluster) and honours
`AWS_ENDPOINT_URL`, which the tests point at a local moto server. Calls have bounded timeouts.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

from .settings import Settings

logger = logging.getLogger(__name__)

REFRESH_INTERVAL_SECONDS = 2.0


def aws_client(service: str, region: str | None) -> Any:
    """A boto3 client with bounded calls: two attempts of at most 2 s to connect and 3 s to answer, so
    a stuck endpoint delays one connection by 10 s at most, never a worker for good. boto3 is
    imported here, on first use: a local app never loads it."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"})
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]


class CredentialsError(Exception):
    """The credentials could not be read; the message says which and why, without secrets."""


def is_authentication_failure(error: BaseException) -> bool:
    """Whether PostgreSQL refused the login (SQLSTATE 28P01/28000; at connect time only the text says)."""
    if getattr(error, "pgcode", None) in ("28P01", "28000"):
        return True
    text = str(error)
    return "password authentication failed" in text or "PAM authentication failed" in text


class Credentials(Protocol):
    def current(self) -> dict[str, str]:
        """`{"user": ..., "password": ...}` for the next connection."""

    def refresh(self, rejected: dict[str, str]) -> bool:
        """After the server rejected `rejected`: True when newer credentials are there to try."""


class SecretCredentials:
    """The username and password of an RDS-managed Secrets Manager secret."""

    def __init__(self, secret_id: str, region: str | None = None, client: Any = None) -> None:
        self.secret_id = secret_id
        self.region = region or None
        self.client = client
        self.lock = threading.Lock()
        self.values: dict[str, str] | None = None
        self.version = ""
        self.read_at = float("-inf")

    def current(self) -> dict[str, str]:
        with self.lock:
            return self.values or self._read()

    def refresh(self, rejected: dict[str, str]) -> bool:
        with self.lock:
            if self.values is not None and self.values != rejected:
                return True  # Another thread has read the new version meanwhile.
            if time.monotonic() - self.read_at < REFRESH_INTERVAL_SECONDS:
                return False
            old_version = self.version
            self._read()
            changed = self.version != old_version
            logger.warning(
                "database password rejected; re-read secret %s: %s",
                self.secret_id,
                f"new version {self.version}" if changed else "unchanged",
            )
            return changed

    def _read(self) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        self.read_at = time.monotonic()
        try:
            if self.client is None:  # Made on first use: creating the app never calls AWS.
                self.client = aws_client("secretsmanager", self.region)
            response = self.client.get_secret_value(SecretId=self.secret_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise CredentialsError(f"DATABASE_SECRET_ID={self.secret_id!r} could not be read: {code}.") from None
        except BotoCoreError as error:
            raise CredentialsError(f"DATABASE_SECRET_ID={self.secret_id!r} could not be read: {error}") from None
        try:
            document = json.loads(response.get("SecretString") or "")
            username, password = document["username"], document["password"]
        except (ValueError, KeyError, TypeError):
            raise CredentialsError(
                f"DATABASE_SECRET_ID={self.secret_id!r} must hold JSON with 'username' and 'password'."
            ) from None
        if not isinstance(username, str) or not isinstance(password, str):
            raise CredentialsError(f"DATABASE_SECRET_ID={self.secret_id!r}: username and password must be strings.")
        self.values = {"user": username, "password": password}
        self.version = response.get("VersionId", "")
        return self.values


class IamTokenCredentials:
    """An RDS IAM authentication token for `user`, minted per connection (no network call)."""

    def __init__(self, user: str, host: str, port: int, region: str | None = None, client: Any = None) -> None:
        self.user, self.host, self.port = user, host, port
        self.region = region or None
        self.client = client

    def current(self) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError

        try:
            if self.client is None:
                self.client = aws_client("rds", self.region)
            token = self.client.generate_db_auth_token(DBHostname=self.host, Port=self.port, DBUsername=self.user)
        except BotoCoreError as error:
            raise CredentialsError(f"no IAM token for DATABASE_USER={self.user!r}: {error}") from None
        return {"user": self.user, "password": token}

    def refresh(self, rejected: dict[str, str]) -> bool:
        return False  # Every connection gets a new token anyway.


def credentials_for(settings: Settings, *, master: bool = False) -> Credentials | None:
    """How connections log in: None when DATABASE_URL carries its own credentials.

    The web app uses the app role's IAM tokens when DATABASE_USER is set; `master` (the migration
    step) uses the secret.
    """
    if not settings.database_host:
        return None
    if settings.database_user and not (master and settings.database_secret_id):
        return IamTokenCredentials(
            settings.database_user, settings.database_host, settings.database_port, settings.aws_region
        )
    return SecretCredentials(settings.database_secret_id, settings.aws_region)
