"""The surveys' pure rules against plain references: CSAT and NPS figures, the deterministic
sample of a corporate campaign, internal domains, and a campaign's next round."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atende.domain import surveys as rules

pytestmark = pytest.mark.nodb

csat_scores = st.lists(st.integers(1, 5), max_size=60)
nps_scores = st.lists(st.integers(0, 10), max_size=60)


@given(csat_scores)
def test_csat_counts_4_and_5_as_satisfied(scores: list[int]) -> None:
    f = rules.csat_of(scores)
    assert f.count == len(scores)
    if not scores:
        assert (f.satisfied_percent, f.average) == (None, None)
        return
    good = len([s for s in scores if s in (4, 5)])
    assert f.satisfied == good
    assert f.satisfied_percent == round(good * 100 / len(scores), 1)
    assert f.average == round(sum(scores) / len(scores), 2)


@given(nps_scores)
def test_nps_is_promoters_minus_detractors_in_percent(scores: list[int]) -> None:
    f = rules.nps_of(scores)
    promoters = len([s for s in scores if s in (9, 10)])
    passives = len([s for s in scores if s in (7, 8)])
    detractors = len([s for s in scores if s <= 6])
    assert (f.count, f.promoters, f.passives, f.detractors) == (
        len(scores), promoters, passives, detractors,
    )  # fmt: skip
    if scores:
        assert f.nps == round((promoters / len(scores) - detractors / len(scores)) * 100, 1)
        assert f.nps is not None and -100 <= f.nps <= 100
    else:
        assert f.nps is None


def test_the_scales_and_who_is_asked_why() -> None:
    assert [s for s in range(1, 6) if rules.asks_why("csat", s)] == [1, 2]
    assert [s for s in range(0, 11) if rules.asks_why("nps", s)] == list(range(7))
    with pytest.raises(rules.ScoreOutOfScale, match="between 1 and 5, not 6"):
        rules.check_score("csat", 6)
    with pytest.raises(rules.ScoreOutOfScale):
        rules.check_score("nps", -1)


ids = st.lists(st.integers(1, 10_000), max_size=80)


@given(ids, st.one_of(st.none(), st.integers(1, 100)), st.one_of(st.none(), st.integers(1, 50)),
       st.text(max_size=8))  # fmt: skip
def test_the_sample_is_deterministic_sized_and_drawn_from_the_population(
    population: list[int], percent: int | None, maximum: int | None, seed: str
) -> None:
    chosen = rules.sample(population, percent=percent, maximum=maximum, seed=seed)
    unique = set(population)
    expected = len(unique)
    if percent is not None and unique:
        expected = max(1, math.ceil(len(unique) * percent / 100))
    if maximum is not None:
        expected = min(expected, maximum)
    assert len(chosen) == expected
    assert set(chosen) <= unique and chosen == sorted(set(chosen))
    assert rules.sample(list(reversed(population)), percent=percent, maximum=maximum,
                        seed=seed) == chosen  # fmt: skip


@given(st.sets(st.integers(1, 10_000), min_size=2, max_size=60), st.integers(1, 10_000))
def test_a_new_contact_does_not_reshuffle_the_others(population: set[int], extra: int) -> None:
    """With a maximum, adding a contact changes at most one place of the sample."""
    before = rules.sample(population, percent=None, maximum=5, seed="q1")
    after = rules.sample(population | {extra}, percent=None, maximum=5, seed="q1")
    assert len(set(before) - set(after)) <= 1


def test_different_seeds_draw_different_samples() -> None:
    people = list(range(1, 201))
    draws = {tuple(rules.sample(people, percent=10, maximum=None, seed=f"s{i}")) for i in range(5)}
    assert len(draws) == 5


@given(st.emails(), st.lists(st.sampled_from(["empresa.com.br", "solis.example", "example.com"])))
def test_internal_is_the_domain_or_a_subdomain(email: str, domains: list[str]) -> None:
    host = email.rsplit("@", 1)[1].lower()
    expected = any(host == d or host.endswith("." + d) for d in domains)
    assert rules.is_internal(email, domains) is expected


def test_internal_domains_are_normalised_or_refused() -> None:
    assert rules.normalize_domain(" @Empresa.COM.br. ") == "empresa.com.br"
    assert rules.is_internal("ti@filial.empresa.com.br", ["empresa.com.br"])
    assert not rules.is_internal("ti@outraempresa.com.br", ["empresa.com.br"])
    assert not rules.is_internal(None, ["empresa.com.br"])
    for bad in ("", "empresa", "a b.com", "x@y@z.com", "-a.com"):
        with pytest.raises(ValueError, match="is not a domain name"):
            rules.normalize_domain(bad)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
       st.integers(1, 24))  # fmt: skip
def test_a_campaigns_next_round_is_the_same_day_months_later(moment: datetime, months: int) -> None:
    start = moment.replace(tzinfo=UTC)
    after = rules.add_months(start, months)
    assert (after.year * 12 + after.month) - (start.year * 12 + start.month) == months
    last_day = (
        date(after.year + after.month // 12, after.month % 12 + 1, 1) - timedelta(days=1)
    ).day
    assert after.day == min(start.day, last_day)
    assert after.time() == start.time() and after.tzinfo is UTC
