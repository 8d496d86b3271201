"""Bearer tokens: JWTs signed by the OIDC issuer, checked against its published keys (JWKS).

Writes (POST, PUT, PATCH, DELETE) under `/api/` need a token; reads too with
AUTH_REQUIRED_FOR_READS=1. A token must be signed by a key of the issuer's JWKS (OIDC_JWKS_URL, by
default `<OIDC_ISSUER_URL>/.well-known/jwks.json`) and carry `iss` = OIDC_ISSUER_URL,
`aud` = OIDC_AUDIENCE, `sub` and an unexpired `exp`. The claims of the request's token are in
`flask.g.token`.

Without an issuer, development and tests use a development key instead: `flask dev-token` (or
`invoke token`) makes it in the instance folder and prints a token signed with it. Staging and
production never accept it: there, no issuer means every write is refused.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import click
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, current_app, g, request
from flask_openapi3 import SecurityScheme

from .errors import ApiError
from .settings import Settings

SCHEME = "bearerAuth"
REALM = "{{ cookiecutter.project_slug }}"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What OIDC providers sign access tokens with (Cognito, Auth0, Okta, Keycloak, Entra ID: RS256).
ALGORITHMS = ["RS256", "ES256"]
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
LEEWAY_SECONDS = 30  # Clock skew tolerated on exp/nbf/iat.
JWKS_TIMEOUT_SECONDS = 5
DEV_ISSUER = "urn:{{ cookiecutter.project_slug }}:development"
DEV_KEY_FILE = "dev-jwt-key.pem"
DEV_KEY_ID = "development"


def security_scheme() -> SecurityScheme:
    """The scheme the OpenAPI document declares."""
    return SecurityScheme(
        type="http",
        scheme="bearer",
        bearerFormat="JWT",
        description="A JWT from the OIDC issuer, for this API's audience. Writes need one.",
    )


@dataclass(frozen=True)
class AuthSettings:
    """The settings this module reads (see `settings`)."""

    issuer: str
    audience: str
    jwks_url: str
    required_for_reads: bool
    deployed: bool


def settings_of(app: Flask) -> AuthSettings:
    """The auth settings of `app`, from its validated Settings."""
    settings: Settings = app.config["SETTINGS"]
    issuer = settings.oidc_issuer_url.rstrip("/")
    return AuthSettings(
        issuer=issuer,
        audience=settings.oidc_audience,
        jwks_url=settings.oidc_jwks_url or (f"{issuer}/.well-known/jwks.json" if issuer else ""),
        required_for_reads=settings.auth_required_for_reads,
        deployed=settings.deployed,
    )


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every JWKS fetch of the process.

    PyJWT builds a new one per fetch unless given one, and building one loads the system's CA
    certificates (about 30 ms of CPU), inside the request that found an unknown key id.
    """
    return ssl.create_default_context()


class Authenticator:
    """Verifies tokens for one app; the JWKS client caches the issuer's keys for five minutes."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True, timeout=JWKS_TIMEOUT_SECONDS, ssl_context=tls_context())
            if settings.jwks_url
            else None
        )

    def requires_token(self, method: str) -> bool:
        """Writes always need a token; reads when AUTH_REQUIRED_FOR_READS is on; OPTIONS never."""
        return method in WRITE_METHODS or (self.settings.required_for_reads and method != "OPTIONS")

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature, issuer, audience and expiry check out; ApiError otherwise."""
        try:
            key, issuer = self._key_and_issuer(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.settings.audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWKClientConnectionError:
            raise ApiError(
                503,
                "token_issuer_unavailable",
                "The token issuer's keys cannot be fetched; retry shortly.",
                headers={"Retry-After": "5"},
            ) from None
        except jwt.ExpiredSignatureError:
            raise invalid_token("The token has expired.") from None
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
            raise invalid_token("The token was issued for another API or by another issuer.") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as error:
            raise invalid_token(f"The token is not valid: {error}.") from None
        return claims

    def _key_and_issuer(self, token: str) -> tuple[Any, str]:
        if self.jwks is not None:
            return self.jwks.get_signing_key_from_jwt(token).key, self.settings.issuer
        if self.settings.deployed:
            raise ApiError(
                401,
                "unauthorized",
                "No token issuer is configured (OIDC_ISSUER_URL), so requests that need a token are refused.",
                headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
            )
        key_path = Path(current_app.instance_path) / DEV_KEY_FILE
        if not key_path.is_file():
            raise invalid_token("No development key yet; make one and a token with `invoke token`.")
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return private_key.public_key(), DEV_ISSUER


def invalid_token(description: str) -> ApiError:
    """401 with the RFC 6750 challenge naming the problem."""
    challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    return ApiError(401, "unauthorized", description, headers={"WWW-Authenticate": challenge})


def authenticate() -> None:
    """Check the request's bearer token when its method needs one; its claims go to `g.token`."""
    authenticator: Authenticator = current_app.extensions["auth"]
    if not authenticator.requires_token(request.method):
        return
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        raise ApiError(
            401,
            "unauthorized",
            "Send a bearer token: `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    g.token = authenticator.claims(credentials.token)


def development_token(instance_path: Path, audience: str, subject: str, minutes: int) -> str:
    """A token signed by the development key, which is made on first use (never in a deployed app)."""
    key_path = instance_path / DEV_KEY_FILE
    if not key_path.is_file():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        instance_path.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_path.touch(mode=0o600)
        key_path.write_bytes(pem)
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + 60 * minutes,
    }
    return jwt.encode(claims, key_path.read_bytes(), algorithm="RS256", headers={"kid": DEV_KEY_ID})


def init_app(app: Flask) -> None:
    """Attach the authenticator and the `flask dev-token` command."""
    settings = settings_of(app)
    app.extensions["auth"] = Authenticator(settings)

    @app.cli.command("dev-token")
    @click.option("--subject", default="developer", show_default=True, help="The token's `sub`.")
    @click.option("--minutes", type=click.IntRange(1, 24 * 60), default=60, show_default=True, help="Lifetime.")
    def dev_token(subject: str, minutes: int) -> None:
        """Print a bearer token signed by the development key (development and test only)."""
        if settings.deployed or settings.issuer:
            raise click.ClickException("dev-token works only without OIDC_ISSUER_URL, outside staging and production.")
        click.echo(development_token(Path(app.instance_path), settings.audience, subject, minutes))
