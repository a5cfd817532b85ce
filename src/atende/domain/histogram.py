"""A sparse log-scale histogram of whole seconds, for the reports' rollup (decision 0029).

Values below :data:`EXACT` seconds have a bucket each (exact); from there on, bucket ``k``
holds ``[EXACT * GROWTH**j, EXACT * GROWTH**(j + 1))`` with ``j = k - EXACT``: each bucket is
2 % wide, and its representative (the middle) is within :data:`RELATIVE_ERROR` (1 %) of any
value in it. A quantile read from a histogram (:func:`quantile`, interpolated between the two
closest ranks like PostgreSQL's ``percentile_cont``) is therefore within 1 % of the exact
quantile of the same values, and exact when the ranks it reads fall below :data:`EXACT`.

A histogram is a plain ``{bucket: count}`` dict while it is counted; merging is adding counts
(associative and commutative), so a year is the sum of its days or of its months, and a month
less a day is the rest of the month. Stored and merged it is :class:`Dense`: the counts of
consecutive buckets from an offset, so that merging and reading a quantile run in C
(``map(add, ...)``, ``accumulate``, ``bisect``) rather than one Python step per bucket.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from math import floor, log
from operator import add as _plus
from operator import sub as _minus

EXACT = 64  # seconds: each value below this has its own bucket
GROWTH = 1.02  # each bucket above EXACT is 2 % wider than the one before
RELATIVE_ERROR = (
    GROWTH - 1
) / 2  # 1 %: the middle of a bucket vs any value in it (at its lower end)
_LOG_GROWTH = log(GROWTH)
BUCKETS = 1100  # buckets of 0 s to 2**31 s (a span's seconds are a 32-bit integer): 0..1040

Histogram = dict[int, int]


def bucket(value: int) -> int:
    """The bucket of ``value`` seconds (a negative value, which no span has, counts as 0)."""
    if value < EXACT:
        return max(value, 0)
    k = EXACT + floor(log(value / EXACT) / _LOG_GROWTH)
    # floating point may put a value on a boundary one bucket off: settle it on the bounds
    if value < lower(k):
        k -= 1
    elif value >= lower(k + 1):
        k += 1
    return k


def lower(k: int) -> float:
    """The least value of bucket ``k``."""
    return float(k) if k < EXACT else EXACT * GROWTH ** (k - EXACT)


def representative(k: int) -> float:
    """The value a bucket stands for: itself below EXACT, else the middle of its bounds."""
    if k < EXACT:
        return float(k)
    return (lower(k) + lower(k + 1)) / 2


def of(values: Iterable[int]) -> Histogram:
    out: Histogram = {}
    for v in values:
        k = bucket(v)
        out[k] = out.get(k, 0) + 1
    return out


def add(into: Histogram, other: Mapping[int, int]) -> Histogram:
    """Add ``other``'s counts into ``into`` (in place) and answer it."""
    for k, n in other.items():
        into[k] = into.get(k, 0) + n
    return into


def quantile(hist: Mapping[int, int], p: float) -> float:
    """The ``p`` quantile (0..1) of the values counted in ``hist``: the ranks of
    ``percentile_cont`` (``p * (n - 1)``, interpolated), each read as its bucket's
    representative."""
    n = sum(hist.values())
    if n <= 0:
        raise ValueError("empty histogram")
    pos = p * (n - 1)
    lo = int(pos)
    hi = min(lo + 1, n - 1)
    at_lo = at_hi = None
    seen = 0
    for k in sorted(hist):
        seen += hist[k]
        if at_lo is None and seen > lo:
            at_lo = representative(k)
        if seen > hi:
            at_hi = representative(k)
            break
    assert at_lo is not None and at_hi is not None
    return at_lo + (at_hi - at_lo) * (pos - lo)


@dataclass(frozen=True)
class Dense:
    """``counts[i]`` values in bucket ``offset + i``."""

    offset: int = 0
    counts: tuple[int, ...] = ()

    @classmethod
    def of(cls, hist: Mapping[int, int]) -> Dense:
        if not hist:
            return cls()
        lo = min(hist)
        out = [0] * (max(hist) - lo + 1)
        for k, n in hist.items():
            out[k - lo] = n
        return cls(lo, tuple(out))

    def plus(self, other: Dense, *, sign: int = 1) -> Dense:
        """This histogram with ``other``'s counts added (``sign`` -1: taken away, as a day's
        from its month's)."""
        if not other.counts:
            return self
        if not self.counts and sign > 0:
            return other
        lo = min(self.offset, other.offset) if self.counts else other.offset
        hi = max(self.offset + len(self.counts), other.offset + len(other.counts))
        out = [0] * (hi - lo)
        a = self.offset - lo
        out[a : a + len(self.counts)] = self.counts
        b = other.offset - lo
        op = _plus if sign > 0 else _minus
        out[b : b + len(other.counts)] = map(op, out[b : b + len(other.counts)], other.counts)
        return Dense(lo, tuple(out))

    def quantile(self, p: float) -> float:
        """As :func:`quantile`."""
        return self.quantiles(p)[0]

    def quantiles(self, *ps: float) -> tuple[float, ...]:
        """Several quantiles from one running sum."""
        running = list(accumulate(self.counts))
        n = running[-1] if running else 0
        if n <= 0:
            raise ValueError("empty histogram")
        out = []
        for p in ps:
            pos = p * (n - 1)
            lo = int(pos)
            hi = min(lo + 1, n - 1)
            at_lo = representative(self.offset + bisect_right(running, lo))
            at_hi = representative(self.offset + bisect_right(running, hi))
            out.append(at_lo + (at_hi - at_lo) * (pos - lo))
        return tuple(out)

    @classmethod
    def of_sums(cls, sums: list[int]) -> Dense:
        """From a count per bucket (``add_into``'s buffer); its zeros cost nothing to read."""
        return cls(0, tuple(sums)) if sums else cls()

    def sparse(self) -> Histogram:
        return {self.offset + i: n for i, n in enumerate(self.counts) if n}


def dumps(dense: Dense) -> dict[str, object]:
    """The JSON form: ``{"o": offset, "n": [counts of consecutive buckets]}``."""
    return {"o": dense.offset, "n": list(dense.counts)}


def add_into(sums: list[int], data: Mapping[str, object], *, sign: int = 1) -> None:
    """Add (``sign`` -1: take away) a stored histogram's counts into ``sums``, a count per
    bucket of length :data:`BUCKETS` (in C: one ``map`` over the slice)."""
    offset, counts = data["o"], data["n"]
    assert isinstance(offset, int) and isinstance(counts, list)
    end = offset + len(counts)
    sums[offset:end] = map(_plus if sign > 0 else _minus, sums[offset:end], counts)


def loads(data: Mapping[str, object] | None) -> Dense:
    if not data:
        return Dense()
    offset, counts = data["o"], data["n"]
    assert isinstance(offset, int) and isinstance(counts, list)
    return Dense(offset, tuple(counts))
