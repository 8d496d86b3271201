"""Faults against the app under its own gunicorn config: SIGTERM mid-request, killed database
connections, the database going away and coming back, and writes under connection kills.

Each test starts its own gunicorn (2 workers, to keep the machine's 2 cores for the test itself)
so a fault never leaks into another test.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import harness
import psycopg2
import pytest
import requests

ITEMS = "/api/v1/items"


def terminate_app_connections(admin_url: str, database_url: str) -> int:
    """pg_terminate_backend on every connection to the app's database, and wait until those backends
    are gone (pg_terminate_backend only signals them); returns how many it killed."""
    database = urlsplit(database_url).path.lstrip("/")
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() AND application_name <> %s",
                (database, harness.TEST_APPLICATION_NAME),
            )
            pids = cur.fetchone()[0] or []
            deadline = time.monotonic() + 5
            while pids and time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.01)
            return len(pids)
    finally:
        conn.close()


def assert_json_503(response: requests.Response) -> None:
    assert response.status_code == 503, f"{response.status_code}: {response.text[:300]}"
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.text and "psycopg2" not in response.text, response.text
    assert response.json()["error"]["code"]
    assert response.headers.get("Retry-After"), "a 503 should say when to retry"


# -- SIGTERM ---------------------------------------------------------------------------------------


def _request_after_signal(port: int) -> str:
    """Open a new connection after SIGTERM; 'refused', 'reset' or 'served:<status line>'."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    with sock:
        try:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = sock.recv(200)
        except (ConnectionResetError, BrokenPipeError, TimeoutError):
            return "reset"
        return f"served:{data.splitlines()[0].decode(errors='replace')}" if data else "reset"


@pytest.mark.timeout(120)
def test_sigterm_lets_in_flight_requests_finish_and_accepts_no_new_work(project, database_url, figures):
    graceful = 10
    env = {
        "APP_ENV": "test",
        "ENABLE_TEST_ROUTES": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": str(graceful),
    }
    settings = harness.gunicorn_settings(project, **env)
    slots = int(settings["workers"]) * int(settings.get("threads") or 1)
    sleep_for = 4
    with harness.app_server(project, database_url, **env) as server:
        server.start()
        results: list[object] = []

        def slow_request():
            try:
                response = requests.get(f"{server.url}/_test/slow?seconds={sleep_for}", timeout=graceful + 10)
                results.append(response.status_code)
            except requests.RequestException as exc:
                results.append(type(exc).__name__)

        threads = [threading.Thread(target=slow_request) for _ in range(slots)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + sleep_for - 1
        while server.accepted_connections() < slots and time.monotonic() < deadline:
            time.sleep(0.05)
        accepted = server.accepted_connections()
        assert accepted == slots, f"only {accepted} of {slots} slow requests reached a worker in time"
        time.sleep(0.3)  # and each has been read and handed to a worker thread
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        after_signal = [_request_after_signal(server.port) for _ in range(5)]
        for thread in threads:
            thread.join()
        exit_code = server.process.wait(graceful + 10)
        exited_after = time.monotonic() - signalled

    figures["sigterm in-flight requests"] = f"{results.count(200)}/{slots} completed with 200"
    figures["sigterm master exit"] = f"rc {exit_code} after {exited_after:.1f}s (graceful timeout {graceful}s)"
    figures["sigterm new connections after signal"] = dict(Counter(after_signal))
    assert results == [200] * slots, results
    assert exit_code == 0, server.log_tail()
    assert exited_after <= graceful + 2, f"the master took {exited_after:.1f}s to exit"
    served = [outcome for outcome in after_signal if outcome.startswith("served")]
    assert not served, f"connections opened after SIGTERM were served: {after_signal}"
    # Every request is logged as it ends, in-flight ones included, before the workers exit.
    logged = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    slow_lines = [line for line in logged if line.get("path") == "/_test/slow" and line.get("status") == 200]
    assert len(slow_lines) == slots, f"{len(slow_lines)} of {slots} slow requests were logged"


# -- killed connections ------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_killed_database_connections_are_replaced_without_failed_requests(project, database_url, admin_url, figures):
    rounds, per_round = 5, 60
    killed_total, outcomes = 0, Counter()
    with harness.app_server(project, database_url, WEB_CONCURRENCY="2") as server:
        server.start()
        item = harness.api().post(server.url + ITEMS, json={"name": f"kill-{uuid.uuid4().hex}"}, timeout=10).json()
        session = harness.api()

        def call(i: int) -> int:
            kind = i % 3
            if kind == 0:
                return session.get(f"{server.url}{ITEMS}?limit=5", timeout=10).status_code
            if kind == 1:
                return session.get(f"{server.url}{ITEMS}/{item['id']}", timeout=10).status_code
            return session.post(server.url + ITEMS, json={"name": f"k-{uuid.uuid4().hex}"}, timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(call, range(40)))  # every worker thread holds a pooled connection
            for _ in range(rounds):
                killed = terminate_app_connections(admin_url, database_url)
                assert killed > 0, "no app connection was found to kill; the test would prove nothing"
                killed_total += killed
                outcomes.update(pool.map(call, range(per_round)))
    figures["connections killed"] = f"{killed_total} over {rounds} rounds"
    figures["requests after kills"] = dict(outcomes)
    assert set(outcomes) <= {200, 201}, f"requests failed after killed connections: {dict(outcomes)}"


# -- the database goes away and comes back ------------------------------------------------------


@pytest.fixture
def proxied(project, database_url):
    """The app reaching PostgreSQL through a TCP proxy the test can cut, black-hole and restore."""
    parts = urlsplit(database_url)
    proxy = harness.TcpProxy((parts.hostname, parts.port or 5432))
    netloc = parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    server = harness.app_server(project, url, WEB_CONCURRENCY="2", DATABASE_CONNECT_TIMEOUT="2")
    try:
        server.start(ready_path="/readyz")
        yield server, proxy
    finally:
        server.stop()
        proxy.close()


def _timed(method: str, url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = harness.api().request(method, url, timeout=30, **kwargs)
    return response, time.monotonic() - started


@pytest.mark.timeout(180)
@pytest.mark.parametrize("outage", ["refused", "black-hole"])
def test_database_outage_gives_503_and_recovers_without_restart(proxied, db, outage, figures):
    server, proxy = proxied
    assert requests.get(server.url + ITEMS, timeout=10).status_code == 200
    pids_before = server.worker_pids()
    rows_before = db.cursor()
    rows_before.execute("SELECT count(*) FROM items")
    count_before = rows_before.fetchone()[0]

    proxy.cut() if outage == "refused" else proxy.hang()
    slowest = 0.0
    for _ in range(2):
        livez, took = _timed("GET", server.url + "/livez")
        assert livez.status_code == 200 and took < 2, (livez.status_code, took)
        readyz, took = _timed("GET", server.url + "/readyz")
        assert readyz.status_code == 503, readyz.text
        slowest = max(slowest, took)
        for method, path, body in [
            ("GET", ITEMS, None),
            ("GET", f"{ITEMS}/1", None),
            ("POST", ITEMS, {"name": f"outage-{uuid.uuid4().hex}"}),
        ]:
            response, took = _timed(method, server.url + path, json=body)
            assert_json_503(response)
            slowest = max(slowest, took)
    # connect_timeout is 2 s here; a 503 must not wait much longer than that.
    assert slowest < 8, f"a request took {slowest:.1f}s to fail during the outage"

    proxy.restore()
    recovered_after = None
    started = time.monotonic()
    while time.monotonic() - started < 20:
        if requests.get(server.url + "/readyz", timeout=10).status_code == 200:
            recovered_after = time.monotonic() - started
            break
        time.sleep(0.2)
    assert recovered_after is not None, "the app did not become ready within 20 s of the database returning"
    statuses = Counter(requests.get(server.url + ITEMS, timeout=10).status_code for _ in range(30))
    created = harness.api().post(server.url + ITEMS, json={"name": f"back-{uuid.uuid4().hex}"}, timeout=10)
    assert statuses == Counter({200: 30}), statuses
    assert created.status_code == 201, created.text
    assert server.worker_pids() == pids_before, "workers were restarted; recovery must not need a restart"
    rows_before.execute("SELECT count(*) FROM items")
    assert rows_before.fetchone()[0] == count_before + 1, "a write answered 503 during the outage was stored"
    figures[f"db outage ({outage})"] = (
        f"/readyz 503, /livez 200, API 503 JSON (slowest {slowest:.1f}s); ready again {recovered_after:.1f}s "
        "after the database returned, same worker pids"
    )


# -- no acknowledged write lost ---------------------------------------------------------------


@pytest.mark.timeout(300)
def test_no_acknowledged_write_is_lost_while_connections_are_killed(project, database_url, admin_url, db, figures):
    writers, per_writer = 8, 250
    run = uuid.uuid4().hex[:8]
    acknowledged: dict[str, int] = {}
    refused: list[str] = []
    unexpected: list[str] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    kills = Counter()

    def killer():
        while not stop.wait(0.05):
            kills["rounds"] += 1
            kills["connections"] += terminate_app_connections(admin_url, database_url)

    def writer(n: int):
        session = harness.api()
        for i in range(per_writer):
            name = f"ack-{run}-{n}-{i}"
            response = session.post(server.url + ITEMS, json={"name": name, "quantity": i}, timeout=30)
            with lock:
                statuses[response.status_code] += 1
                if 200 <= response.status_code < 300:
                    acknowledged[name] = response.json()["id"]
                else:
                    refused.append(name)
                    try:
                        assert_json_503(response)
                    except (AssertionError, ValueError, KeyError) as error:
                        unexpected.append(f"{name}: {error}")

    with harness.app_server(project, database_url, WEB_CONCURRENCY="2") as server:
        server.start()
        kill_thread = threading.Thread(target=killer, daemon=True)
        kill_thread.start()
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(writers) as pool:
                list(pool.map(writer, range(writers)))
        finally:
            stop.set()
            kill_thread.join()
        elapsed = time.monotonic() - started

    with db.cursor() as cur:
        cur.execute("SELECT name, id, quantity FROM items WHERE name LIKE %s", (f"ack-{run}-%",))
        stored = {name: (item_id, quantity) for name, item_id, quantity in cur.fetchall()}
    lost = [name for name, item_id in acknowledged.items() if stored.get(name, (None,))[0] != item_id]
    stored_but_refused = [name for name in refused if name in stored]
    figures["writes"] = (
        f"{writers}x{per_writer} creates in {elapsed:.1f}s while killing "
        f"{kills['connections']} connections in {kills['rounds']} rounds: "
        f"{dict(statuses)}"
    )
    figures["writes verified"] = f"{len(acknowledged) - len(lost)}/{len(acknowledged)} acknowledged writes stored"
    figures["writes refused but stored"] = len(stored_but_refused)
    figures["writes refused (503) share"] = f"{statuses[503] / max(1, sum(statuses.values())):.1%}"
    assert sum(statuses.values()) == writers * per_writer
    assert kills["connections"] > 0, "no connection was killed; the test would prove nothing"
    assert not lost, f"{len(lost)} acknowledged writes are missing, e.g. {lost[:5]}"
    assert all(stored[name][1] == int(name.rsplit("-", 1)[1]) for name in acknowledged)
    assert not unexpected, f"{len(unexpected)} answers were neither 201 nor a JSON 503, e.g. {unexpected[:3]}"
