"""`make test`: the whole suite on SQLite, then the database tests on PostgreSQL.

PostgreSQL is used when it answers at ATENDE_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). With CI=true it is mandatory: missing it fails.
"""

from __future__ import annotations

import os
import subprocess
import sys

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


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
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]

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
