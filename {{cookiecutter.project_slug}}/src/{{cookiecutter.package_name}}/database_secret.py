"""Database credentials from an RDS-managed Secrets Manager secret, read once at start-up.

RDS writes the secret as JSON with `username` and `password`; host, port and database name come
from configuration. boto3 finds its region and credentials the usual way (EKS Pod Identity in the
cluster) and honours `AWS_ENDPOINT_URL`, which the tests point at a local moto server.
"""

from __future__ import annotations

import json
import os

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .config import ConfigError


def read_database_secret(secret_id: str) -> tuple[str, str]:
    """Return (username, password) from the secret, or raise ConfigError saying what went wrong."""
    try:
        # AWS_REGION is what EKS sets; boto3 itself only reads AWS_DEFAULT_REGION and its config.
        client = boto3.client("secretsmanager", region_name=os.environ.get("AWS_REGION") or None)
        response = client.get_secret_value(SecretId=secret_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "error")
        raise ConfigError(f"DATABASE_SECRET_ID={secret_id!r} could not be read: {code}.") from None
    except BotoCoreError as error:
        raise ConfigError(f"DATABASE_SECRET_ID={secret_id!r} could not be read: {error}") from None
    try:
        document = json.loads(response.get("SecretString") or "")
        username, password = document["username"], document["password"]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"DATABASE_SECRET_ID={secret_id!r} must hold JSON with 'username' and 'password'.") from None
    if not isinstance(username, str) or not isinstance(password, str):
        raise ConfigError(f"DATABASE_SECRET_ID={secret_id!r}: username and password must be strings.")
    return username, password
