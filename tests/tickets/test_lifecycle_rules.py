"""The pure status rules (atende.domain.lifecycle): no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain import lifecycle
from atende.domain.lifecycle import HistoryMessage as M

STATUSES = lifecycle.STATUSES
T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES))
@settings(max_examples=100)
def test_transition_rules(current: str, target: str) -> None:
    reason = lifecycle.transition_error(current, target)
    if current == target:
        assert reason is None
    elif current == "closed":
        assert reason is not None and "final" in reason
    elif target == "new":
        assert reason is not None
    elif current == "resolved" and target not in ("open", "closed"):
        assert reason is not None and "reopen" in reason
    else:
        assert reason is None
    if reason is not None:
        with pytest.raises(lifecycle.InvalidTransition) as info:
            lifecycle.ensure_transition(current, target)
        assert info.value.status == 409 and info.value.field == "status"


def test_unknown_status_is_refused() -> None:
    assert lifecycle.transition_error("open", "archived") == "unknown status 'archived'"


def test_timestamps_follow_the_status() -> None:
    later = T0 + timedelta(hours=1)
    assert lifecycle.timestamps_for_status(
        "open", "resolved", now=T0, resolved_at=None, closed_at=None
    ) == (T0, None)
    assert lifecycle.timestamps_for_status(
        "resolved", "closed", now=later, resolved_at=T0, closed_at=None
    ) == (T0, later)
    assert lifecycle.timestamps_for_status(
        "open", "closed", now=later, resolved_at=None, closed_at=None
    ) == (later, later)
    assert lifecycle.timestamps_for_status(
        "resolved", "open", now=later, resolved_at=T0, closed_at=None
    ) == (None, None)


def test_contact_and_agent_messages_move_the_status() -> None:
    assert lifecycle.status_after_contact_message("resolved") == "open"
    assert lifecycle.status_after_contact_message("pending_customer") == "open"
    assert lifecycle.status_after_contact_message("pending_internal") == "pending_internal"
    assert lifecycle.status_after_agent_reply("new") == "open"
    assert lifecycle.status_after_agent_reply("pending_customer") == "pending_customer"


def _problems(**kw: object) -> list[tuple[str, str]]:
    args: dict[str, object] = {
        "created_at": T0,
        "status": "open",
        "resolved_at": None,
        "closed_at": None,
        "chat_ended_at": None,
        "messages": [],
        "now": NOW,
        "earliest": datetime(1970, 1, 1, tzinfo=UTC),
    }
    args.update(kw)
    return [(p.field, p.message) for p in lifecycle.history_problems(**args)]  # type: ignore[arg-type]


def test_history_problems_name_their_field() -> None:
    assert _problems() == []
    assert _problems(created_at=NOW + timedelta(seconds=1)) == [("created_at", "is in the future")]
    late, early = M("contact", True, T0 + timedelta(hours=2)), M("agent", True, T0 + timedelta(1))
    assert _problems(messages=[M("contact", True, T0 - timedelta(seconds=1))]) == [
        ("messages[0].created_at", "is before the ticket's created_at")
    ]
    assert [f for f, _ in _problems(messages=[early, late])] == ["messages[1].created_at"]
    assert [f for f, _ in _problems(resolved_at=T0)] == ["resolved_at"]
    assert [f for f, _ in _problems(status="resolved", closed_at=T0)] == ["closed_at"]
    assert [f for f, _ in _problems(status="closed", resolved_at=T0 + timedelta(2),
                                    closed_at=T0 + timedelta(1))] == ["closed_at"]  # fmt: skip
    assert [f for f, _ in _problems(chat_ended_at=T0 - timedelta(1))] == ["chat_ended_at"]
