"""gunicorn settings, read from the environment (`gunicorn --config gunicorn.conf.py ...`)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Any


def _int_from_env(name: str, default: int, low: int, high: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise SystemExit(f"{name}={text!r} must be a whole number from {low} to {high}.")
    return int(text)


MAX_WORKERS = 8

bind = f"0.0.0.0:{_int_from_env('PORT', 8000, 1, 65535)}"
workers = _int_from_env("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS), 1, 64)
# Threads let probes through while a slow request holds a worker; each has its own DB session.
worker_class = "gthread"
threads = _int_from_env("GUNICORN_THREADS", 4, 1, 64)
# After SIGTERM, in-flight requests get this long to finish; Kubernetes waits longer than this.
graceful_timeout = _int_from_env("GUNICORN_GRACEFUL_TIMEOUT", 25, 1, 600)
timeout = _int_from_env("GUNICORN_TIMEOUT", 30, 1, 600)
keepalive = 5  # Longer than zero so the load balancer can reuse connections.
# Load the app once in the master: a configuration error stops the server with one message.
preload_app = True
# The app writes one JSON line per request; gunicorn's access log would duplicate it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The heartbeat file and the control socket must not need a writable root filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108  (RAM, not a shared temp dir)
control_socket_disable = True


def when_ready(_server: Any) -> None:
    """In the master, once the app is loaded and before any worker forks.

    Everything loaded so far (modules, the app, SQLAlchemy's tables) lives as long as the process,
    so it goes to the collector's permanent generation: a worker's collections no longer walk those
    objects (that cost a worker 4 % of its instructions per request) nor write to their memory pages,
    which stay shared with the master instead of being copied into every worker.
    """
    gc.freeze()
