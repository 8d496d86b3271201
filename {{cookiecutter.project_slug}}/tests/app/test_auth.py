"""Bearer tokens: writes need one from the configured issuer; reads are public unless a setting says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, g
from flask.testing import FlaskClient

from {{ cookiecutter.package_name }}.auth import tls_context
from {{ cookiecutter.package_name }}.settings import ConfigError, load_settings

from .conftest import MakeApp
from .oidc import Issuer, self_signed_certificate, serve_issuer

ITEMS = "/api/v1/items"
KID = {"kid": "test-key"}
REALM = 'Bearer realm="{{ cookiecutter.project_slug }}"'


def post(
    client: FlaskClient, token: str | None = None, scheme: str = "Bearer"
) -> tuple[int, dict[str, str], dict[str, Any]]:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    response = client.post(ITEMS, json={"name": "guarded"}, headers=headers)
    return response.status_code, dict(response.headers), response.get_json()


def test_a_write_without_a_token_is_401_with_the_challenge(anonymous: FlaskClient) -> None:
    status, headers, body = post(anonymous)
    assert (status, headers["WWW-Authenticate"]) == (401, REALM)
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["message"] == "Send a bearer token: `Authorization: Bearer <token>`."


@pytest.mark.parametrize("scheme", ["Token", "Basic"])
def test_a_valid_token_under_another_scheme_is_401(anonymous: FlaskClient, issuer: Issuer, scheme: str) -> None:
    assert post(anonymous, issuer.token(), scheme=scheme)[0] == 401


def test_a_valid_token_may_write_and_its_claims_are_kept(anonymous: FlaskClient, issuer: Issuer) -> None:
    with anonymous:  # Keeps the last request's context, and its `g`, until the block ends.
        assert post(anonymous, issuer.token(sub="alice"))[0] == 201
        assert g.token["sub"] == "alice"


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"exp": 1_000_000}, "The token has expired."),
        ({"aud": "another-api"}, "The token was issued for another API or by another issuer."),
        ({"iss": "https://elsewhere.example"}, "The token was issued for another API or by another issuer."),
        ({"sub": None}, 'The token is not valid: Token is missing the "sub" claim.'),
        ({"exp": None}, 'The token is not valid: Token is missing the "exp" claim.'),
    ],
    ids=["expired", "audience", "issuer", "no-sub", "no-exp"],
)
def test_a_token_with_wrong_claims_is_401_saying_why(
    anonymous: FlaskClient, issuer: Issuer, claims: dict[str, Any], description: str
) -> None:
    status, headers, body = post(anonymous, issuer.token(**claims))
    assert status == 401
    assert headers["WWW-Authenticate"] == f'{REALM}, error="invalid_token", error_description="{description}"'
    assert body["error"]["message"] == description


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "x"}, "a-shared-secret-of-32-bytes-or-more!", algorithm="HS256", headers=KID),
        jwt.encode({"sub": "x"}, "", algorithm="none", headers=KID),
    ],
    ids=["garbage", "hs256", "alg-none"],
)
def test_a_token_that_is_not_an_rs256_jwt_is_401(anonymous: FlaskClient, token: str) -> None:
    assert post(anonymous, token)[0] == 401


def test_a_token_signed_by_another_key_is_401(anonymous: FlaskClient, issuer: Issuer) -> None:
    assert post(anonymous, issuer.token(key=_other_key()))[0] == 401


def test_a_token_naming_an_unknown_key_is_401(anonymous: FlaskClient, issuer: Issuer) -> None:
    assert post(anonymous, issuer.token(kid="rotated-away"))[0] == 401


def test_reads_and_options_need_no_token_by_default(anonymous: FlaskClient) -> None:
    assert anonymous.get(ITEMS).status_code == 200
    assert anonymous.options(ITEMS).status_code == 204


def test_routing_errors_come_before_the_token(anonymous: FlaskClient) -> None:
    assert anonymous.put(ITEMS, json={}).status_code == 405
    assert anonymous.post("/api/v1/nothing", json={}).status_code == 404


def test_reads_need_a_token_when_configured(make_app: MakeApp, issuer: Issuer) -> None:
    client = make_app(AUTH_REQUIRED_FOR_READS="1").test_client()
    assert client.get(ITEMS).status_code == 401
    assert client.options(ITEMS).status_code == 204
    assert client.get(ITEMS, headers={"Authorization": f"Bearer {issuer.token()}"}).status_code == 200


def test_the_issuers_keys_are_fetched_once_for_many_requests(make_app: MakeApp, issuer: Issuer) -> None:
    client = make_app().test_client()
    before = issuer.jwks_requests
    for _ in range(3):
        # An invalid body: past the token (so 422, not 401), and nothing is stored outside the test's transaction.
        response = client.post(ITEMS, json={}, headers={"Authorization": f"Bearer {issuer.token()}"})
        assert response.status_code == 422
    assert issuer.jwks_requests - before == 1


def test_an_unreachable_issuer_is_503_with_retry_after(make_app: MakeApp, issuer: Issuer) -> None:
    client = make_app(OIDC_JWKS_URL="http://127.0.0.1:1/jwks.json").test_client()
    response = client.post(ITEMS, json={"name": "x"}, headers={"Authorization": f"Bearer {issuer.token()}"})
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert response.get_json()["error"]["code"] == "token_issuer_unavailable"


def test_the_issuers_keys_are_fetched_over_verified_tls(
    make_app: MakeApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate = self_signed_certificate(tmp_path)
    with serve_issuer(tls=certificate) as https_issuer:
        settings = {"OIDC_ISSUER_URL": https_issuer.url, "OIDC_JWKS_URL": https_issuer.jwks_url}
        headers = {"Authorization": f"Bearer {https_issuer.token()}"}
        # A certificate the system does not trust: the keys are not fetched, and nothing is written.
        untrusted = make_app(**settings).test_client().post(ITEMS, json={}, headers=headers)
        assert (untrusted.status_code, untrusted.get_json()["error"]["code"]) == (503, "token_issuer_unavailable")
        assert https_issuer.jwks_requests == 0
        # Trusted the usual way (a CA file in SSL_CERT_FILE, as an image with a private CA sets it):
        # the process's one TLS context is made anew under it.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        tls_context.cache_clear()
        try:
            trusted = make_app(**settings).test_client().post(ITEMS, json={}, headers=headers)
        finally:
            tls_context.cache_clear()
        assert trusted.status_code == 422  # Past the token: an invalid body.
        assert https_issuer.jwks_requests == 1


def test_a_deployment_without_an_issuer_refuses_writes(make_app: MakeApp, issuer: Issuer) -> None:
    # Production refuses SQLite; the database is never reached: the request is refused before any query.
    database = "postgresql://app@db.invalid/app"
    app = make_app(APP_ENV="production", DATABASE_URL=database, OIDC_ISSUER_URL="", OIDC_JWKS_URL="")
    response = app.test_client().post(ITEMS, json={"name": "x"}, headers={"Authorization": f"Bearer {issuer.token()}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == (
        "No token issuer is configured (OIDC_ISSUER_URL), so requests that need a token are refused."
    )


@pytest.fixture
def development_app(make_app: MakeApp, tmp_path: Path) -> Flask:
    """An app without an issuer, its instance folder (where the development key goes) a scratch directory."""
    app = make_app(APP_ENV="development", OIDC_ISSUER_URL="", OIDC_JWKS_URL="", OIDC_AUDIENCE="dev-audience")
    app.instance_path = str(tmp_path / "instance")
    return app


def test_development_tokens_are_accepted_without_an_issuer(development_app: Flask) -> None:
    client = development_app.test_client()
    before = client.post(ITEMS, json={"name": "x"}, headers={"Authorization": "Bearer x.y.z"})
    assert before.get_json()["error"]["message"] == "No development key yet; make one and a token with `invoke token`."
    result = development_app.test_cli_runner().invoke(args=["dev-token", "--subject", "dev", "--minutes", "5"])
    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[-1]  # After any request lines the log queue flushed meanwhile.
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["aud"], claims["exp"] - claims["iat"]) == ("dev", "dev-audience", 300)
    assert (Path(development_app.instance_path) / "dev-jwt-key.pem").stat().st_mode & 0o777 == 0o600
    assert client.post(ITEMS, json={}, headers={"Authorization": f"Bearer {token}"}).status_code == 422


def test_dev_token_is_refused_with_an_issuer(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["dev-token"])
    assert result.exit_code == 1
    assert "dev-token works only without OIDC_ISSUER_URL" in result.output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"OIDC_ISSUER_URL": "login.example.com"},
            "OIDC_ISSUER_URL='login.example.com': must be empty or an http(s) URL, such as https://login.example.com/.",
        ),
        (
            {"OIDC_JWKS_URL": "file:///etc/keys.json"},
            "OIDC_JWKS_URL='file:///etc/keys.json': must be empty or an http(s) URL",
        ),
        ({"OIDC_AUDIENCE": ""}, "OIDC_AUDIENCE='': String should have at least 1 character."),
        (
            {"AUTH_REQUIRED_FOR_READS": "maybe"},
            "AUTH_REQUIRED_FOR_READS='maybe': must be 1 or 0 (also true/false, yes/no, on/off).",
        ),
    ],
)
def test_a_bad_auth_setting_is_named_with_what_is_allowed(override: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(override)
    assert message in str(raised.value)


def test_the_jwks_url_defaults_to_the_issuers_well_known_path(make_app: MakeApp) -> None:
    app = make_app(OIDC_ISSUER_URL="https://login.example.com/tenant/", OIDC_JWKS_URL="")
    assert app.extensions["auth"].settings.jwks_url == "https://login.example.com/tenant/.well-known/jwks.json"
