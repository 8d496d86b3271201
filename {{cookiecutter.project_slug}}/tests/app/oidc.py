"""A stand-in OIDC issuer for the tests: a local RSA key, its JWKS served on loopback, and tokens signed with it."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

AUDIENCE = "test-audience"
KEY_ID = "test-key"


class Issuer:
    """Signs tokens; `url` is its issuer URL and `jwks_url` where its public keys are published."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jwks_url = f"{url}/jwks.json"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks_requests = 0

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}

    def token(self, *, key: Any = None, kid: str = KEY_ID, **claims: Any) -> str:
        """A token for the tests' audience, valid for a minute; `claims` override or (None) drop any claim."""
        now = int(time.time())
        payload = {"iss": self.url, "aud": AUDIENCE, "sub": "tester", "iat": now, "exp": now + 60, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key, valid for a day: (certificate, key) PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test issuer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = directory / "issuer.pem", directory / "issuer-key.pem"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_file, key_file


@contextmanager
def serve_issuer(tls: tuple[Path, Path] | None = None) -> Iterator[Issuer]:
    """An Issuer whose JWKS is served on 127.0.0.1 until the block ends: over HTTP, or over HTTPS with
    `tls` (certificate and key files)."""
    issuer: Issuer

    class JwksHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # The name http.server calls.
            issuer.jwks_requests += 1
            body = json.dumps(issuer.jwks()).encode() if self.path == "/jwks.json" else b"{}"
            self.send_response(200 if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # Keep the test output clean.

    server = ThreadingHTTPServer(("127.0.0.1", 0), JwksHandler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    issuer = Issuer(f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}")
    # Polled often, so that shutdown() returns at once rather than after the default half second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
