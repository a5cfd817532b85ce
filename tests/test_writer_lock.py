"""SQLite's single write slot is handed over through the writer lock (atende/db/engine.py):
writers of several threads and processes all get in, none fails with "database is locked",
a writer waits exactly as long as another holds the slot, and a wait that outlasts the timeout
fails with SQLite's own error and leaves the lock free."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from atende.db.engine import make_engine, writer_lock
from tests.conftest import test_db_kind

pytestmark = pytest.mark.skipif(test_db_kind() != "sqlite", reason="SQLite's writer lock")


def _counter_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    engine.dispose()
    return url


def _value(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
    engine.dispose()
    return int(value)


INCREMENT = """
import sys
from sqlalchemy import text
from atende.db.engine import make_engine
engine = make_engine(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with engine.begin() as conn:  # read, then write: a lost update if two were in at once
        n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
        conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
"""


def test_writers_of_several_threads_and_processes_all_get_in_one_at_a_time(
    tmp_path: Path,
) -> None:
    url = _counter_db(tmp_path / "c.db")
    others = [
        subprocess.Popen([sys.executable, "-c", INCREMENT, url, "150"], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    engine = make_engine(url)
    errors: list[BaseException] = []

    def increments() -> None:
        try:
            for _ in range(150):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
        except BaseException as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=increments) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for other in others:
        _, stderr = other.communicate(timeout=120)
        assert other.returncode == 0, stderr.decode()
    engine.dispose()
    assert errors == []
    assert _value(url) == 6 * 150  # no lost update, no "database is locked"


HOLD = """
import sys, time
from sqlalchemy import text
from atende.db.engine import make_engine
engine = make_engine(sys.argv[1])
with engine.begin() as conn:
    conn.execute(text("UPDATE counter SET n = 100 WHERE id = 1"))
    print("holding", flush=True)
    sys.stdin.readline()  # until the test says so
"""


def _holding(url: str) -> subprocess.Popen[str]:
    """Another process in the middle of a write transaction, until a line is sent to it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_writer_waits_for_another_process_then_gets_in(tmp_path: Path) -> None:
    url = _counter_db(tmp_path / "w.db")
    holder = _holding(url)
    engine = make_engine(url)
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(0.5)  # waits while the other process holds the slot
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=30) == 0
    assert done.wait(30)
    writer.join()
    engine.dispose()
    assert _value(url) == 101  # after the other's commit, on top of it


def test_a_wait_past_the_timeout_fails_like_sqlite_and_frees_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _counter_db(tmp_path / "t.db")
    holder = _holding(url)
    lock = writer_lock(str(tmp_path / "t.db"))
    assert lock is not None
    plain_acquire = lock.acquire
    monkeypatch.setattr(lock, "acquire", lambda timeout=0.3: plain_acquire(timeout))
    engine = make_engine(url)
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as conn:
        conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=30) == 0
    with engine.begin() as conn:  # the failed wait left nothing held in this process
        conn.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))
    engine.dispose()
    assert _value(url) == 101


def test_rollback_and_failed_statements_release_the_lock(tmp_path: Path) -> None:
    url = _counter_db(tmp_path / "r.db")
    engine = make_engine(url)
    with pytest.raises(OperationalError), engine.begin() as conn:
        conn.execute(text("UPDATE no_such_table SET n = 1"))
    with engine.connect() as conn:
        conn.execute(text("UPDATE counter SET n = 5 WHERE id = 1"))
        conn.rollback()
    other = subprocess.run(  # another process gets in at once: nothing is left held here
        [sys.executable, "-c", INCREMENT, url, "1"], capture_output=True, text=True, timeout=60
    )
    assert other.returncode == 0, other.stderr
    engine.dispose()
    assert _value(url) == 1


def test_databases_in_memory_have_no_lock_file() -> None:
    assert writer_lock(":memory:") is None
    assert writer_lock(None) is None


def test_engines_on_memory_and_on_a_file_both_open(tmp_path: Path) -> None:
    """A file database gets a larger pool (api/admission.py); databases in memory keep
    SQLAlchemy's own pool, which takes no pool sizes."""
    from sqlalchemy import text

    for url in (
        "sqlite://",
        "sqlite:///:memory:",
        f"sqlite:///{tmp_path / 'pool.db'}",
    ):
        engine = make_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        engine.dispose()
    assert make_engine(f"sqlite:///{tmp_path / 'pool.db'}").pool.size() == 10
