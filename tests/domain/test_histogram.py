"""The rollup's log-scale histogram against an exact reference (``statistics``): quantiles
within the stated relative error, exact below the threshold, merging associative."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atende.domain import histogram

seconds = st.integers(min_value=0, max_value=400 * 86400)
samples = st.lists(seconds, min_size=1, max_size=300)
fractions = st.sampled_from((0.0, 0.1, 0.5, 0.9, 0.99, 1.0))


def exact(values: list[int], p: float) -> float:
    """PostgreSQL's percentile_cont (statistics.quantiles, inclusive) at any fraction."""
    ordered = sorted(values)
    pos = p * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def test_the_reference_is_percentile_cont() -> None:
    values = [5, 1, 9, 3, 7, 120, 44]
    assert exact(values, 0.5) == statistics.median(values)
    assert exact(values, 0.9) == pytest.approx(
        statistics.quantiles(values, n=10, method="inclusive")[8]
    )


@given(samples, fractions)
def test_a_quantile_is_within_the_relative_error(values: list[int], p: float) -> None:
    got = histogram.quantile(histogram.of(values), p)
    want = exact(values, p)
    assert abs(got - want) <= histogram.RELATIVE_ERROR * want + 1e-9 * want


@given(st.lists(st.integers(min_value=0, max_value=histogram.EXACT - 1), min_size=1), fractions)
def test_below_the_threshold_quantiles_are_exact(values: list[int], p: float) -> None:
    assert histogram.quantile(histogram.of(values), p) == exact(values, p)


@given(seconds)
def test_a_value_lies_in_its_bucket(value: int) -> None:
    k = histogram.bucket(value)
    assert histogram.lower(k) <= value < histogram.lower(k + 1)
    assert histogram.lower(k + 1) <= max(histogram.lower(k) * histogram.GROWTH, k + 1) + 1e-6
    rep = histogram.representative(k)
    assert abs(rep - value) <= histogram.RELATIVE_ERROR * value + 1e-9


@given(samples, samples, samples)
def test_merging_is_associative_and_equals_the_histogram_of_all(
    a: list[int], b: list[int], c: list[int]
) -> None:
    ha, hb, hc = histogram.of(a), histogram.of(b), histogram.of(c)
    left = histogram.add(histogram.add(dict(ha), hb), hc)
    right = histogram.add(dict(ha), histogram.add(dict(hb), hc))
    assert left == right == histogram.of(a + b + c)
    dense = histogram.Dense.of(ha).plus(histogram.Dense.of(hb)).plus(histogram.Dense.of(hc))
    assert dense.sparse() == left
    assert histogram.loads(histogram.dumps(dense)) == dense


@given(samples, samples, fractions)
def test_the_dense_form_merges_takes_away_and_reads_as_the_sparse(
    a: list[int], b: list[int], p: float
) -> None:
    """A month less a day is the other days: adding then taking away gives the start back."""
    da, db = histogram.Dense.of(histogram.of(a)), histogram.Dense.of(histogram.of(b))
    both = da.plus(db)
    assert both.quantile(p) == histogram.quantile(histogram.of(a + b), p)
    assert both.plus(db, sign=-1).sparse() == da.sparse()
    assert histogram.Dense().plus(da) == da
    sums = [0] * histogram.BUCKETS
    histogram.add_into(sums, histogram.dumps(both))
    histogram.add_into(sums, histogram.dumps(db), sign=-1)
    assert histogram.Dense.of_sums(sums).sparse() == da.sparse()


def test_the_buckets_are_two_percent_wide_above_the_threshold() -> None:
    assert histogram.bucket(63) == 63 and histogram.bucket(64) == 64
    assert histogram.lower(histogram.bucket(86400) + 1) / histogram.lower(
        histogram.bucket(86400)
    ) == pytest.approx(1.02)
    # a year in seconds needs fewer than 900 buckets; any 32-bit span fits the buffers
    assert histogram.bucket(366 * 86400) < 900
    assert histogram.bucket(2**31 - 1) < histogram.BUCKETS
