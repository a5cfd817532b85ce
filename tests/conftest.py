"""Test harness: a migrated database per run (SQLite file or PostgreSQL), one rolled-back
transaction per test, an app bound to it, and small factories.

`ATENDE_TEST_DB` chooses the database: ``sqlite`` (default) or ``postgres`` (at
``ATENDE_TEST_POSTGRES_URL``). Tests that must not touch a database live in ``tests/domain``.
Under pytest-xdist (``-n``, as tests/run.py runs it) each worker process has a database of its
own: ``<name>_gw0``, ``<name>_gw1``... on that PostgreSQL server, or a SQLite file in the
worker's temporary directory. The scratch databases that tests make are named after it, and
servers get free ports and temporary directories, so workers share nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from atende.db import cache as db_cache
from atende.db.engine import make_engine
from atende.db.migrate import upgrade
from atende.settings import Settings

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "nodb: runs without a database (skipped on the PG run)")


def test_db_kind() -> str:
    return os.environ.get("ATENDE_TEST_DB", "sqlite")


test_db_kind.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def scratch_postgres(database_url: str, suffix: str) -> Iterator[str]:
    """A new empty PostgreSQL database beside the test one (for server processes), dropped
    after."""
    import psycopg

    server, name = database_url.rsplit("/", 1)
    scratch = f"{name}_{suffix}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        yield f"{server}/{scratch}"
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@pytest.fixture
def server_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the kind under test that server processes can share (see
    tests/servers.py), named after the test module."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    if test_db_kind() == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    with scratch_postgres(database_url, name) as url:
        yield url


def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with tiny cost parameters: the same code paths, milliseconds instead of seconds."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from atende.auth import passwords

    saved = passwords._hasher, passwords._DUMMY
    passwords._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=64, parallelism=1),))
    passwords._DUMMY = passwords._hasher.hash("not-a-password-atende-dummy")
    yield
    passwords._hasher, passwords._DUMMY = saved


def xdist_worker() -> str | None:
    """The pytest-xdist worker running this process (``gw0``, ``gw1``...), None when serial."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def worker_postgres(url: str, worker: str) -> str:
    """``<database>_<worker>`` on the server at ``url``, created if missing: each xdist worker
    migrates and rolls back in a database of its own."""
    import psycopg

    server, name = url.rsplit("/", 1)
    mine = f"{name}_{worker}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (mine,)).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{mine}"')
    return f"{server}/{mine}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The run's database: ATENDE_TEST_POSTGRES_URL's (``<name>_gw0``... under xdist) or a
    SQLite file in this process's temporary directory. Scratch databases derive their names
    from it, so they are per worker too."""
    worker = xdist_worker()
    if test_db_kind() == "postgres":
        url = os.environ.get("ATENDE_TEST_POSTGRES_URL", DEFAULT_PG)
        if worker is not None:
            url = worker_postgres(url, worker)
        reset_postgres(url)
        return url
    path = tmp_path_factory.mktemp("db") / f"atende-test-{worker or 'serial'}.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    upgrade(eng)
    with eng.begin() as conn:  # the upgrade's one-off jobs: tests start with an empty queue
        conn.execute(text("DELETE FROM jobs WHERE idempotency_key LIKE 'migration-%'"))
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """An outer transaction that is rolled back after the test: nothing a test writes stays.

    The per-process copies (atende/db/cache.py) start empty: the rollback undoes rows behind
    their back (ids are reused by the next test), which no real transaction can do."""
    db_cache.clear()
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for tests that call services directly (commit goes to a savepoint)."""
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-not-for-production",
        run_worker=False,
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> Any:
    from atende.app import create_app

    return bind_app(create_app(settings), session_factory)


def bind_app(application: Any, session_factory: sessionmaker[Session]) -> Any:
    """Every session the application makes joins this test's transaction."""
    application.state.sessionmaker = session_factory
    application.state.read_sessionmaker = session_factory
    return application


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# --------------------------------------------------------------------------------------------
# Factories: users of each role with API tokens, and clients that send them.
# --------------------------------------------------------------------------------------------


class ApiUser:
    """A user with a token and a TestClient that sends ``Authorization: Bearer``."""

    def __init__(self, user: Any, token: str, client: TestClient) -> None:
        self.user = user
        self.id: int = user.id
        self.token = token
        self._client = client
        # The suite reads the API's messages in English, their source language (a request's
        # Accept-Language wins over the user's locale); tests/test_api_language.py checks that
        # without it the user's locale, Portuguese by default, is spoken.
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self._client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)


@pytest.fixture
def make_user(db: Session, client: TestClient) -> Any:
    """make_user(role, email=None, queue_ids=(), contact_id=None) -> ApiUser (committed)."""
    from atende.agents.models import User
    from atende.agents.repository import set_user_queues
    from atende.auth import service as auth_service
    from atende.db.base import utcnow

    counter = iter(range(1, 10_000))

    def _make(
        role: str = "agent",
        *,
        email: str | None = None,
        name: str | None = None,
        queue_ids: tuple[int, ...] | list[int] = (),
        contact_id: int | None = None,
        password: str | None = None,
    ) -> ApiUser:
        from atende.auth.passwords import hash_password

        n = next(counter)
        user = User(
            name=name or f"{role.title()} {n}",
            email=email or f"{role}{n}@example.test",
            role=role,
            active=True,
            contact_id=contact_id,
            password_hash=hash_password(password) if password else None,
            timezone="America/Sao_Paulo",
            locale="pt_BR",
        )
        db.add(user)
        db.flush()
        if queue_ids:
            set_user_queues(db, user.id, list(queue_ids))
        _, secret = auth_service.create_token(db, user=user, name="test", now=utcnow())
        db.commit()
        return ApiUser(user, secret, client)

    return _make


@pytest.fixture
def admin(make_user: Any) -> ApiUser:
    return make_user("admin", email="admin@example.test", name="Ana Admin")  # type: ignore[no-any-return]
