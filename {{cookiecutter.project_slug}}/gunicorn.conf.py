"""gunicorn settings, from the environment through `ServerSettings` (`gunicorn --config gunicorn.conf.py ...`).

A bad value (WEB_CONCURRENCY=abc) stops the server with the same one-message error as the app's.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from {{ cookiecutter.package_name }}.observability import logging_config
from {{ cookiecutter.package_name }}.settings import ConfigError, load_server_settings

try:
    server = load_server_settings()
except ConfigError as error:
    raise SystemExit(str(error)) from None

bind = f"0.0.0.0:{server.port}"
workers = server.web_concurrency
# Threads let probes through while a slow request holds a worker; each has its own DB session.
worker_class = "gthread"
threads = server.gunicorn_threads
graceful_timeout = server.gunicorn_graceful_timeout
timeout = server.gunicorn_timeout
keepalive = server.gunicorn_keepalive
# Load the app once in the master: a configuration error stops the server with one message.
preload_app = True
# The app writes one JSON line per request; gunicorn's own lines are JSON too, through this.
accesslog = None
logconfig_dict = logging_config(server.log_level)
# The heartbeat file and the control socket must not need a writable root filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108  (RAM, not a shared temp dir)
control_socket_disable = True


def when_ready(_server: Any) -> None:
    """In the master, once the app is loaded and before any worker forks.

    What the master loaded lives as long as the process: frozen, the workers' collections skip it
    and its memory pages stay shared with the master instead of being copied into every worker.
    """
    gc.freeze()
