"""Run a rendered project for real: its own venv, a throw-away PostgreSQL database, gunicorn on loopback.

Shared by the reliability tests (tests/reliability) and the benchmark driver (bench/run.py), so both
exercise the generated service exactly as its container would: installed from its pyproject, served
by `gunicorn --config gunicorn.conf.py <package>.wsgi:app`, migrated with `alembic upgrade head`.
The only override is `--bind 127.0.0.1:<free port>`: nothing here listens beyond loopback.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import requests
from interpreters import find_python

# The tests' own connections carry this name, so killing "the app's connections" spares them.
TEST_APPLICATION_NAME = "reliability-tests"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
VENV_ROOT = Path(os.environ.get("RELIABILITY_VENV_ROOT", Path(tempfile.gettempdir()) / "reliability-venvs"))


def log(message: str) -> None:
    """One progress line on stderr (pytest -s and the bench both show it), with a timestamp."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def admin_url() -> str:
    """The URL of a maintenance database where test databases can be created and dropped.

    RELIABILITY_ADMIN_URL wins; otherwise TEST_DATABASE_URL with its database swapped for `postgres`;
    otherwise the local default.
    """
    if os.environ.get("RELIABILITY_ADMIN_URL"):
        return os.environ["RELIABILITY_ADMIN_URL"]
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url:
        parts = urlsplit(test_url)
        return urlunsplit((parts.scheme.split("+")[0], parts.netloc, "/postgres", parts.query, ""))
    return DEFAULT_ADMIN_URL


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL answers at url, else one sentence saying why not."""
    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL is not reachable at {url}: {str(exc).strip().splitlines()[0]}"
    return None


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextlib.contextmanager
def temporary_database(admin: str):
    """A fresh database `rel_<random>` for one run; yields its URL and drops it afterwards."""
    name = f"rel_{secrets.token_hex(6)}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        log(f"created database {name}")
        yield with_database(admin, name)
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
        log(f"dropped database {name}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The generated project, installed into its own venv


@dataclass
class Project:
    """A rendered project installed into a venv of its own (its pinned deps, not the test tooling's)."""

    root: Path
    package: str
    venv: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def _python_for(root: Path) -> str:
    """The project's Python (its .python-version) wherever pyenv, uv or PATH has it, else the nearest
    supported one, said in one line (tests/interpreters.py)."""
    python = find_python((root / ".python-version").read_text().strip())
    if python.note:
        log(python.note)
    return python.path


def _uv() -> str | None:
    return shutil.which("uv") or next(
        (str(p) for p in (Path(sys.executable).parent / "uv", Path("/work/.venv-tpl/bin/uv")) if p.exists()), None
    )


def install_project(root: Path) -> Project:
    """Install the rendered project into a venv keyed by its pyproject.toml (reused across runs)."""
    pyproject_text = (root / "pyproject.toml").read_text()
    pyproject = tomllib.loads(pyproject_text)
    dist_name = pyproject["project"]["name"]
    package = next(p.name for p in (root / "src").iterdir() if (p / "__init__.py").exists())
    python = _python_for(root)
    key = hashlib.sha256(f"{python}\n{pyproject_text}".encode()).hexdigest()[:16]
    venv = VENV_ROOT / f"{dist_name}-{key}"
    uv = _uv()
    started = time.monotonic()
    if not (venv / "bin" / "gunicorn").exists():
        shutil.rmtree(venv, ignore_errors=True)
        VENV_ROOT.mkdir(parents=True, exist_ok=True)
        if uv:
            _run([uv, "venv", "-q", "-p", python, str(venv)])
            # Compiled once here: gunicorn, alembic and the benchmark start many processes from this venv.
            _run(
                [uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(venv / "bin" / "python"), str(root)]
            )
        else:
            _run([python, "-m", "venv", str(venv)])
            _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(root)])
    # The source changes more often than the dependencies: always reinstall the project itself.
    if uv:
        _run(
            [
                uv,
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--reinstall-package",
                dist_name,
                "--python",
                str(venv / "bin" / "python"),
                str(root),
            ]
        )
    else:
        _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(root)])
    log(f"installed {dist_name} into {venv} in {time.monotonic() - started:.1f}s")
    return Project(root=root, package=package, venv=venv)


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def sqlalchemy_url(database_url: str) -> str:
    """The URL with psycopg2 named: SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3."""
    scheme, rest = database_url.split("://", 1)
    return f"postgresql+psycopg2://{rest}" if scheme in ("postgres", "postgresql") else database_url


def migrate(project: Project, database_url: str) -> None:
    """`alembic upgrade head`, the way the migration Job runs it."""
    env = {**os.environ, "DATABASE_URL": sqlalchemy_url(database_url), "APP_ENV": "production"}
    _run([project.bin("alembic"), "upgrade", "head"], cwd=project.root, env=env)
    log("alembic upgrade head: done")


# ---------------------------------------------------------------------------------------------
# gunicorn


@dataclass
class Server:
    """gunicorn serving an app on a free loopback port, its output kept in a log file."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/livez", timeout: float = 30.0) -> Server:
        fd, name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
        self.log_path = Path(name)
        env = {**self.env, "PORT": str(self.port)}
        argv = [*self.argv, "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(
            argv, cwd=self.cwd, env=env, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True
        )
        os.close(fd)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited {self.process.returncode} at start:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                # Ready, and every worker asked for has forked: a late one would look like a restart.
                if requests.get(self.url + ready_path, timeout=2).status_code == 200 and self._workers_up(env):
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {ready_path} within {timeout}s:\n{self.log_tail()}")

    def _workers_up(self, env: dict[str, str]) -> bool:
        wanted = env.get("WEB_CONCURRENCY")
        return wanted is None or len(self.worker_pids()) >= int(wanted)

    def worker_pids(self) -> list[int]:
        import psutil

        return sorted(child.pid for child in psutil.Process(self.process.pid).children())

    def accepted_connections(self) -> int:
        """Client connections the workers have accepted (not those still waiting in the backlog)."""
        import psutil

        return sum(
            1
            for child in psutil.Process(self.process.pid).children()
            for conn in child.net_connections("tcp")
            if conn.laddr and conn.laddr.port == self.port and conn.status == psutil.CONN_ESTABLISHED
        )

    def worker_rss(self) -> dict[int, int]:
        """Resident memory of each worker, in bytes."""
        import psutil

        return {child.pid: child.memory_info().rss for child in psutil.Process(self.process.pid).children()}

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = 40.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def gunicorn_settings(project: Project, **env: str) -> dict[str, object]:
    """What the project's gunicorn.conf.py decides under this environment (workers, threads, ...)."""
    code = (
        "import json, runpy; g = runpy.run_path('gunicorn.conf.py'); print(json.dumps({k: g.get(k) for k in "
        "('workers', 'threads', 'worker_class', 'graceful_timeout', 'timeout', 'keepalive')}))"
    )
    result = _run([project.bin("python"), "-c", code], cwd=project.root, env={**os.environ, **env})
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------
# The OIDC issuer production trusts: the project's own stand-in (tests/app/oidc.py), a local key
# whose JWKS is served on loopback. In production every write needs a bearer token from it.

_ISSUERS = contextlib.ExitStack()
atexit.register(_ISSUERS.close)


@functools.cache
def stand_in_issuer(root: Path):
    """The project's test issuer module and a running issuer, started once per process."""
    spec = importlib.util.spec_from_file_location("project_oidc", root / "tests" / "app" / "oidc.py")
    assert spec and spec.loader, f"{root}/tests/app/oidc.py: the project's stand-in issuer is missing"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, _ISSUERS.enter_context(module.serve_issuer())


def issuer_settings(project: Project) -> dict[str, str]:
    module, issuer = stand_in_issuer(project.root)
    return {"OIDC_ISSUER_URL": issuer.url, "OIDC_JWKS_URL": issuer.jwks_url, "OIDC_AUDIENCE": module.AUDIENCE}


def bearer_token() -> str:
    """A token valid for an hour from the issuer the servers trust (started by `app_server`)."""
    assert _TRUSTED, "no app server has been started, so no issuer is trusted yet"
    _module, issuer = stand_in_issuer(_TRUSTED[-1])
    return issuer.token(exp=int(time.time()) + 3600)


_TRUSTED: list[Path] = []  # The projects whose servers were started: their issuer signs the tokens.


def api() -> requests.Session:
    """An HTTP client that sends the bearer token production asks of writes."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {bearer_token()}"
    return session


def app_server(project: Project, database_url: str, **env: str) -> Server:
    """The generated app as its container runs it, on loopback, trusting the stand-in issuer."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CONCURRENCY"))}
    _TRUSTED.append(project.root)
    return Server(
        argv=[project.bin("gunicorn"), "--config", "gunicorn.conf.py", f"{project.package}.wsgi:app"],
        cwd=project.root,
        env={
            **base,
            "APP_ENV": "production",
            "DATABASE_URL": sqlalchemy_url(database_url),
            "LOG_LEVEL": "WARNING",
            **issuer_settings(project),
            **env,
        },
    )


# ---------------------------------------------------------------------------------------------
# A TCP proxy between the app and PostgreSQL, to take the database away and bring it back


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones,
    `hang()` accepts connections but never answers (a black hole), `restore()` forwards again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.mode = "forward"
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.restore()

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self._listener = sock
        threading.Thread(target=self._accept_loop, args=(sock,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(client)
            if self.mode == "hang":
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._close(client)
                continue
            with self._lock:
                self._conns.add(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            self._close(a)
            self._close(b)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            self._close(sock)

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def cut(self) -> None:
        """The database is gone: existing connections reset, new ones refused."""
        self.mode = "cut"
        self._close_listener()
        self._drop_all()

    def hang(self) -> None:
        """The database is unreachable: connections are accepted and never answered."""
        self.mode = "hang"
        self._drop_all()
        if self._listener is None:
            self._listen()

    def restore(self) -> None:
        self._drop_all()
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self._close_listener()
        self._drop_all()
