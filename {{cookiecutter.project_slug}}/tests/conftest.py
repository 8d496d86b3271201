"""Hooks of the whole suite: say which database the app tests ran on, in parallel runs too."""

from __future__ import annotations

from typing import Any

import pytest

# The app tests' databases (passwords hidden), as this process used them; under pytest-xdist
# (`nox -s tests` runs `pytest -n auto`) each worker hands its list to the controller, which prints.
USED_DATABASES: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist, in the controller: a worker has finished."""
    USED_DATABASES.extend(node.workeroutput.get("used_databases", []))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # An xdist worker.
        workeroutput["used_databases"] = USED_DATABASES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """So that a SQLite fallback is never mistaken for PostgreSQL."""
    for url in sorted(set(USED_DATABASES)):
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        terminalreporter.write_line(f"app tests ran on {backend}: {url}")
