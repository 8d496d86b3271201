"""Fuzz every operation of the served OpenAPI document with schemathesis: no 5xx, no non-conformance.

`st run` drives the app under gunicorn on loopback with every check, a fixed seed (printed, so a
failure replays with the same command) and enough examples that at least MIN_REQUESTS HTTP requests
go out. The request count and the server errors are read from schemathesis's HAR log of what it
really sent and received, not from its summary.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import harness
import pytest

SEED = int(os.environ.get("RELIABILITY_SEED", "20261126"))
MAX_EXAMPLES = int(os.environ.get("RELIABILITY_MAX_EXAMPLES", "300"))
MIN_REQUESTS = 1000


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_nonconformance(server, tmp_path, figures):
    st = Path(sys.executable).with_name("st")
    argv = [
        str(st),
        "--config-file",
        str(Path(__file__).with_name("schemathesis.toml")),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--report",
        "har,json",
        "--report-har-path",
        str(tmp_path / "requests.har"),
        "--report-json-path",
        str(tmp_path / "run.json"),
        "--no-color",
        # Production asks a token of writes: schemathesis sends one from the issuer the server trusts.
        "--header",
        f"Authorization: Bearer {harness.bearer_token()}",
    ]
    # The same run, spelled for a reader: from the template's root, with the app served on $PORT.
    shown = ["st", "--config-file", "tests/reliability/schemathesis.toml", *argv[3 : argv.index("--report")]]
    shown += ["--header", "Authorization: Bearer $TOKEN"]
    command = shlex.join(shown).replace(server.url, "http://127.0.0.1:$PORT")
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=570)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr

    entries = json.loads((tmp_path / "requests.har").read_text())["log"]["entries"]
    statuses = [entry["response"]["status"] for entry in entries]
    server_errors = [s for s in statuses if s >= 500]
    run = json.loads((tmp_path / "run.json").read_text())
    operations = run["operations"]
    figures["schemathesis command"] = command
    figures["schemathesis seed"] = SEED
    figures["schemathesis operations tested"] = f"{operations['tested']}/{operations['total']}"
    figures["schemathesis test cases"] = run["test_cases"]["generated"]
    figures["schemathesis requests sent"] = len(entries)
    figures["schemathesis server errors (5xx)"] = len(server_errors)
    figures["schemathesis failures"] = [f"{f['code']} {f['title']} x{f['count']}" for f in run["failures"]]
    figures["schemathesis seconds"] = round(elapsed, 1)

    summary = output[output.rfind("SUMMARY") - 40 :] if "SUMMARY" in output else output[-6000:]
    assert result.returncode == 0, f"schemathesis failed (seed {SEED}):\n{output[-20000:]}"
    assert not server_errors, f"{len(server_errors)} responses were 5xx:\n{summary}"
    assert operations["tested"] == operations["total"], f"not every operation was tested:\n{summary}"
    assert len(entries) >= MIN_REQUESTS, (
        f"only {len(entries)} requests were sent; raise RELIABILITY_MAX_EXAMPLES (now {MAX_EXAMPLES})"
    )
