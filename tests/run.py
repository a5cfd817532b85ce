"""`make test`: the whole suite on SQLite, then the database tests on PostgreSQL.

PostgreSQL is used when it answers at ATENDE_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). With CI=true it is mandatory: missing it fails.

Both runs are spread over pytest-xdist workers (ATENDE_TEST_WORKERS: a number, or ``auto`` for
one per core, the default; ``0`` runs serially in this process). Each worker has a database
of its own: a SQLite file in its temporary directory, or ``<name>_gw0``, ``<name>_gw1``...
beside the URL's database, created on first use (tests/conftest.py). Extra arguments go to
both runs, after these (``-n 0`` there also runs serially).
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS_ENV = "ATENDE_TEST_WORKERS"


def parallel_args() -> list[str]:
    """pytest-xdist's options: ATENDE_TEST_WORKERS workers (default ``auto``), whole files per
    worker (a module's shared fixtures are built once, its tests keep their order)."""
    workers = os.environ.get(WORKERS_ENV, "").strip() or "auto"
    if workers != "auto" and not workers.isdigit():
        raise SystemExit(f"{WORKERS_ENV} must be a number or 'auto', not {workers!r}")
    return ["-n", workers, "--dist", "loadfile"]


def postgres_answers(url: str) -> str | None:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover
        return f"psycopg missing: {exc}"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def main() -> int:
    extra = sys.argv[1:]
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    pg_url = os.environ.get("ATENDE_TEST_POSTGRES_URL", DEFAULT_PG)
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *parallel_args()]

    print("== tests on SQLite", flush=True)
    env = dict(os.environ, ATENDE_TEST_DB="sqlite")
    code = subprocess.call([*base, *extra], env=env)
    if code != 0:
        return code

    problem = postgres_answers(pg_url)
    if problem is not None:
        if ci:
            print(f"== PostgreSQL is mandatory with CI=true; none answers at {pg_url}: {problem}")
            return 1
        print(f"== PostgreSQL does not answer at {pg_url} ({problem}): its run is skipped")
        return 0
    print(f"== tests on PostgreSQL ({pg_url})", flush=True)
    env = dict(os.environ, ATENDE_TEST_DB="postgres", ATENDE_TEST_POSTGRES_URL=pg_url)
    return subprocess.call([*base, "-m", "not nodb", "--ignore=tests/domain", *extra], env=env)


if __name__ == "__main__":
    sys.exit(main())
