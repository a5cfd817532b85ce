"""The report's statistics against the standard library, and the measuring of a ticket's life
against plain sums (domain/metrics.py)."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain import metrics

values = st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=200)


@given(values)
@settings(max_examples=300)
def test_median_and_p90_are_the_standard_librarys(xs: list[int]) -> None:
    count, mean, median, p90 = metrics.summary(xs)  # type: ignore[misc]
    assert count == len(xs)
    assert abs(mean - statistics.mean(xs)) < 1e-6
    assert abs(median - statistics.median(xs)) < 1e-6
    if len(xs) > 1:
        reference = statistics.quantiles(xs, n=10, method="inclusive")[8]
        assert abs(p90 - reference) < 1e-6 * max(1, reference)
    else:
        assert p90 == xs[0]


def test_nothing_measured_is_none() -> None:
    assert metrics.summary([]) is None


T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
gaps = st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=12)


@given(gaps, st.lists(st.booleans(), min_size=12, max_size=12))
@settings(max_examples=200)
def test_waits_sum_the_unanswered_spans(steps: list[int], who: list[bool]) -> None:
    """Customer and agent messages in any order: TME is the sum of the spans from the first
    unanswered customer message to the next reply, TMR one span per customer message, and a
    bot's message (never a step) changes nothing."""
    state = metrics.initial_state()
    spans = metrics.advance(state, metrics.Step("created", T0, value="new", user_id=7))
    at = T0
    waiting: list[datetime] = []
    expected_waits = 0
    expected_tmr: list[int] = []
    for gap, customer in zip(steps, who, strict=False):
        at += timedelta(seconds=gap)
        if customer:
            spans += metrics.advance(state, metrics.Step("contact_message", at))
            waiting.append(at)
        else:
            spans += metrics.advance(state, metrics.Step("agent_reply", at, user_id=7))
            if waiting:
                expected_waits += int((at - waiting[0]).total_seconds())
                expected_tmr += [int((at - w).total_seconds()) for w in waiting]
                waiting = []
    at += timedelta(seconds=60)
    spans += metrics.advance(state, metrics.Step("status", at, value="resolved"))
    if waiting:
        expected_waits += int((at - waiting[0]).total_seconds())
    assert [s.seconds for s in spans if s.metric == metrics.TMR] == expected_tmr
    tme = [s.seconds for s in spans if s.metric == metrics.TME]
    assert tme == ([expected_waits] if any(who[: len(steps)]) else [])
    (tma,) = [s.seconds for s in spans if s.metric == metrics.TMA]
    assert tma == int((at - T0).total_seconds())  # assigned at creation, never paused
