"""`count_queries`: the statements a block sends to the database, to pin a workflow's cost.

Every workflow's statement count is pinned (Zulip's ``assert_database_query_count``): a change
that adds a query to a hot path shows as a failing test with the statements listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

# the test harness wraps each transaction of the app in a SAVEPOINT ... RELEASE pair
HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Counted:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        """Statements sent, the harness's savepoints left out."""
        return len([s for s in self.statements if not s.lstrip().upper().startswith(HARNESS)])

    def listing(self) -> str:
        return "\n".join(f"  {s[:160]}".replace("\n", " ") for s in self.statements)


@contextmanager
def count_queries(db: Session) -> Iterator[Counted]:
    counted = Counted()
    bind = db.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.statements.append(statement)

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield counted
    finally:
        event.remove(bind, "before_cursor_execute", record)


@contextmanager
def assert_query_count(db: Session, expected: int) -> Iterator[Counted]:
    """The block sends exactly ``expected`` statements (savepoints of the harness left out)."""
    with count_queries(db) as counted:
        yield counted
    assert counted.count == expected, (
        f"{counted.count} statements, expected {expected}:\n{counted.listing()}"
    )
