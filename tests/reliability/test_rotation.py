"""A password rotation under traffic, as RDS's managed rotation does it, with no restart.

PostgreSQL checks the password (a `pg_hba.conf` rule, scram-sha-256, for a role made for this
test) and the app reads it from a Secrets Manager secret (a moto server). While clients keep
sending reads, writes and probes, the password is rotated: the role's password changes, the secret
gets a new version, and every session of the role is ended. The app re-reads the secret when the
server rejects the old password, so after a bounded window no request fails, and gunicorn's
workers are the same processes throughout.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import harness
import psycopg2
import pytest
import requests

# After the last rotation step, every request must succeed once this much time has passed: the app
# reads the secret again at most every 2 s (database_secret.REFRESH_INTERVAL_SECONDS), plus a login.
WINDOW_SECONDS = 5.0
# Then this long of traffic in which no request may fail.
CLEAN_SECONDS = 3.0
TRAFFIC_THREADS = 6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server():
    port = _free_port()
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on port {port}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def password_checked_role(admin_url: str, database_url: str):
    """A LOGIN role whose password the server checks on 127.0.0.1, granted the app's tables."""
    role, password = f"rotation_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SHOW hba_file")
        hba = Path(cur.fetchone()[0])
    if not os.access(hba, os.W_OK):
        admin.close()
        reason = f"{hba} is not writable here: cannot add the password rule this test needs"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    original = hba.read_text()
    app_db = psycopg2.connect(database_url)
    app_db.autocommit = True
    try:
        # First match wins: this rule, before any `trust` line, makes the server check the password.
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n{original}")
        with admin.cursor() as cur:
            cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (password,))
            cur.execute("SELECT pg_reload_conf()")
        with app_db.cursor() as cur:
            database = urlsplit(database_url).path.lstrip("/")
            cur.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
            cur.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        _login_is_checked(database_url, role, password)
        yield role, password, admin
    finally:
        hba.write_text(original)
        with admin.cursor() as cur:
            cur.execute("SELECT pg_reload_conf()")
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        with app_db.cursor() as cur:
            cur.execute(f"DROP OWNED BY {role}")
        app_db.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP ROLE IF EXISTS {role}")
        admin.close()


def _login_is_checked(database_url: str, role: str, password: str) -> None:
    """Without this the test would prove nothing: a wrong password must be refused."""
    parts = urlsplit(database_url)
    target = {"host": "127.0.0.1", "port": parts.port or 5432, "dbname": parts.path.lstrip("/"), "user": role}
    deadline = time.monotonic() + 5
    while True:  # pg_reload_conf() is asynchronous.
        try:
            psycopg2.connect(**target, password="wrong", connect_timeout=3).close()
        except psycopg2.OperationalError as error:
            assert "password authentication failed" in str(error)
            break
        if time.monotonic() > deadline:
            pytest.fail("PostgreSQL accepted a wrong password: the pg_hba.conf rule is not in force")
        time.sleep(0.1)
    psycopg2.connect(**target, password=password, connect_timeout=3).close()


@pytest.mark.timeout(180)
def test_a_password_rotation_under_traffic_fails_no_request_after_the_window(project, admin_url, database_url, figures):
    parts = urlsplit(database_url)
    with moto_server() as endpoint, password_checked_role(admin_url, database_url) as (role, password, admin):
        aws = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
        }
        client = boto3.client(
            "secretsmanager",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        secret_id = f"rds!db-{uuid.uuid4().hex[:8]}"
        client.create_secret(Name=secret_id, SecretString=json.dumps({"username": role, "password": password}))
        server = harness.app_server(
            project,
            database_url,
            WEB_CONCURRENCY="2",
            DATABASE_URL="",
            DATABASE_HOST="127.0.0.1",
            DATABASE_PORT=str(parts.port or 5432),
            DATABASE_NAME=parts.path.lstrip("/"),
            DATABASE_SECRET_ID=secret_id,
            **aws,
        )
        with server:
            server.start(ready_path="/readyz")
            workers_before = server.worker_pids()
            results: list[tuple[float, int]] = []
            stop = threading.Event()

            def traffic(worker: int) -> None:
                session = harness.api()
                i = 0
                while not stop.is_set():
                    i += 1
                    started = time.monotonic()
                    try:
                        if i % 3 == 0:
                            name = f"rot-{worker}-{uuid.uuid4().hex}"
                            status = session.post(f"{server.url}/api/v1/items", json={"name": name}, timeout=10)
                        elif i % 3 == 1:
                            status = session.get(f"{server.url}/api/v1/items?limit=5", timeout=10)
                        else:
                            status = session.get(f"{server.url}/readyz", timeout=10)
                        results.append((started, status.status_code))
                    except requests.RequestException:
                        results.append((started, 0))

            threads = [threading.Thread(target=traffic, args=(n,)) for n in range(TRAFFIC_THREADS)]
            for thread in threads:
                thread.start()
            time.sleep(1.5)  # Traffic on warm pools first.
            new_password = secrets.token_urlsafe(18)
            rotation_started = time.monotonic()
            with admin.cursor() as cur:
                cur.execute(f"ALTER ROLE {role} PASSWORD %s", (new_password,))
            client.put_secret_value(
                SecretId=secret_id, SecretString=json.dumps({"username": role, "password": new_password})
            )
            with admin.cursor() as cur:
                cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = %s", (role,))
                ended = cur.fetchone()[0]
            rotated = time.monotonic()
            time.sleep(WINDOW_SECONDS + CLEAN_SECONDS)
            stop.set()
            for thread in threads:
                thread.join(timeout=15)
            workers_after = server.worker_pids()
            reread = server.log_text().count("database password rejected; re-read secret")

    assert ended > 0, "no session of the role was ended: the rotation would prove nothing"
    failed = [(t, status) for t, status in results if status not in (200, 201)]
    after_window = [(round(t - rotated, 2), status) for t, status in failed if t >= rotated + WINDOW_SECONDS]
    last_failure = max((t - rotated for t, _ in failed), default=None)
    figures["rotation: requests"] = len(results)
    figures["rotation: sessions ended"] = ended
    figures["rotation: failed requests (any time)"] = dict(Counter(status for _, status in failed))
    figures["rotation: steps took"] = f"{rotated - rotation_started:.2f}s"
    figures["rotation: last failure after the rotation"] = "none" if last_failure is None else f"{last_failure:.2f}s"
    figures["rotation: failed requests after the window"] = f"{len(after_window)} (window {WINDOW_SECONDS:g}s)"
    figures["rotation: secret re-reads logged"] = reread
    assert workers_after == workers_before, "a worker was restarted"
    assert reread > 0, "the app never re-read the secret: the test did not exercise a rotation"
    assert not after_window, f"requests failed after the {WINDOW_SECONDS:g}s window: {after_window[:5]}"
