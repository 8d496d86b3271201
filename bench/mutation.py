"""Mutation run on the generated app's API modules: do its tests notice when the code is wrong?

Each mutant is one small, plausible bug (a flipped comparison, a bound off by one, a dropped check)
written into a rendered project's source; the project's API tests run against it and either fail
(killed) or pass (survived). Every mutant's original text must occur exactly once, so a drifted
table fails loudly instead of testing nothing. The source is restored after each mutant.

    python bench/mutation.py --project /tmp/x/example-service --python /path/to/venv/bin/python

`--only 3,7` runs those mutants only. The project's venv must have the project installed editable
(so the mutated source is what runs); set TEST_DATABASE_URL to run on PostgreSQL. Prints one line
per mutant and the score.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

# (module, original text, mutated text, the bug it stands for)
MUTANTS: list[tuple[str, str, str, str]] = [
    ("security.py", '"X-Frame-Options": "DENY"', '"X-Frame-Options": "SAMEORIGIN"', "weaker framing rule"),
    ("security.py", '    "X-Content-Type-Options": "nosniff",\n', "", "nosniff dropped"),
    ("security.py", "max-age=31536000", "max-age=300", "short HSTS"),
    ("items.py", "more = len(items) > query.limit", "more = len(items) >= query.limit", "next page off by one"),
    ("items.py", '{"limit": query.limit + 1,', '{"limit": query.limit,', "no look-ahead row"),
    ("items.py", "QUANTITY_MAX = 1_000_000_000", "QUANTITY_MAX = 999_999_999", "quantity maximum lowered"),
    ("items.py", "PAGE_LIMIT_MAX = 100", "PAGE_LIMIT_MAX = 101", "page limit raised"),
    ("items.py", "AfterValidator(str.strip)]", "]", "names stored untrimmed"),
    (
        "items.py",
        "if not request.if_match.contains(",
        "if request.if_match.contains(",
        "If-Match inverted",
    ),
    ("items.py", "with_for_update=for_update", "with_for_update=False", "no row lock for PATCH/DELETE"),
    ("items.py", '"The item was deleted meanwhile."', '"The item was deleted meanwhile!"', "race message changed"),
    ("items.py", "    except StaleDataError:", "    except ValueError:", "StaleDataError not handled"),
    ("items.py", "return _item_response(item, 201", "return _item_response(item, 200", "create answers 200"),
    ("items.py", "response.set_etag(etag)", "pass", "no ETag"),
    ("openapi.py", "        if key in result:\n", "        if False:\n", "duplicate JSON keys accepted"),
    (
        "openapi.py",
        'if request.mimetype != "application/json":',
        'if request.mimetype not in ("application/json", "text/plain"):',
        "text/plain bodies accepted",
    ),
    ("openapi.py", "len(request.args.getlist(name)) > 1", "len(request.args.getlist(name)) > 2", "repeats allowed"),
    ("openapi.py", 're.compile(r"[0-9]{1,10}")', 're.compile(r"[0-9+]{1,10}")', "'+5' taken as a limit"),
    ("openapi.py", "isinstance(value, float) and value.is_integer()", "isinstance(value, float)", "7.5 taken as 7"),
    ("openapi.py", "        raise RequestEntityTooLarge()\n", "        return\n", "oversized chunked body read"),
    ("openapi.py", "response.status_code = 204", "response.status_code = 200", "OPTIONS answers 200"),
    ("openapi.py", 'statuses |= {"400", "413", "415"}', 'statuses |= {"413", "415"}', "400 undocumented"),
    ("openapi.py", 'operation["security"] = [{auth.SCHEME: []}]', "pass", "bearer scheme undocumented"),
    ("errors.py", 'return "is required"', 'return "is missing"', "missing-field sentence changed"),
    ("errors.py", 'return f"{low} to {high}"', 'return f"{low}-{high}"', "range sentence changed"),
    ("errors.py", 'if name.lower() != "content-type":', 'if name.lower() == "content-type":', "Allow dropped on 405"),
    ("errors.py", "response.headers.update(error.headers or {})", "pass", "WWW-Authenticate/Retry-After dropped"),
    ("auth.py", "return method in WRITE_METHODS or (", "return method in WRITE_METHODS and (", "writes unguarded"),
    ("auth.py", 'credentials.type != "bearer" or ', "", "any scheme taken as bearer"),
    ("auth.py", 'options={"require": REQUIRED_CLAIMS}', 'options={"require": ["exp"]}', "tokens without sub"),
    ("auth.py", "except jwt.PyJWKClientConnectionError:", "except ZeroDivisionError:", "issuer down gives 401"),
    ("auth.py", "        if self.settings.deployed:\n", "        if False:\n", "deployed app trusts dev key"),
    ("auth.py", "key_path.touch(mode=0o600)", "key_path.touch(mode=0o644)", "dev key world-readable"),
    ("db.py", "(pooled if borrowed else self.connection).invalidate(error)", "pass", "dead connection pooled again"),
    ("db.py", "with sql_span(current_app, compiled.string, state.engine.url.database):", "if True:", "untraced"),
    ("db.py", 'borrowed = _reading() and "db_session"', 'borrowed = True or "db_session"', "read outside the write"),
    ("models.py", 'server_default="0"', 'server_default="1"', "server default differs"),
    ("testing_routes.py", "SLOW_SECONDS_MAX = 20.0", "SLOW_SECONDS_MAX = 21.0", "slow route bound raised"),
]
TESTS = [
    "tests/app/test_items.py",
    "tests/app/test_openapi.py",
    "tests/app/test_errors.py",
    "tests/app/test_auth.py",
    "tests/app/test_security.py",
    "tests/app/test_models.py",
    "tests/app/test_testing_routes.py",
    "tests/app/test_migrations.py",
    "tests/app/test_db.py",
    "tests/app/test_observability.py",
]


def package_dir(project: Path) -> Path:
    (package,) = [path for path in (project / "src").iterdir() if (path / "__init__.py").exists()]
    return package


def run_tests(project: Path, python: str) -> bool:
    """True when the tests pass (the mutant survived)."""
    argv = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS]
    return subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="a rendered project")
    parser.add_argument("--python", required=True, help="the python of a venv with the project installed editable")
    parser.add_argument("--only", help="comma-separated mutant numbers (default: all)")
    args = parser.parse_args()
    chosen = {int(number) for number in args.only.split(",")} if args.only else set(range(1, len(MUTANTS) + 1))
    package = package_dir(args.project)
    if not run_tests(args.project, args.python):
        print("the tests fail on the unmutated code: fix that first", file=sys.stderr)
        return 2
    killed = 0
    for number, (module, original, mutated, bug) in enumerate(MUTANTS, 1):
        if number not in chosen:
            continue
        path = package / module
        source = path.read_text()
        if source.count(original) != 1:
            print(f"{module}: {original!r} occurs {source.count(original)} times; update the table", file=sys.stderr)
            return 2
        started = time.monotonic()
        path.write_text(source.replace(original, mutated))
        try:
            survived = run_tests(args.project, args.python)
        finally:
            path.write_text(source)
        killed += not survived
        verdict = "SURVIVED" if survived else "killed"
        print(f"{number:2d} {verdict:8s} {module}: {bug} ({time.monotonic() - started:.0f}s)", flush=True)
    print(f"mutation score: {killed}/{len(chosen)} killed ({100 * killed / len(chosen):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
