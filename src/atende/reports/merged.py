"""Merged rollup histograms kept by each process (decision 0029, docs/reports.md).

A year's report by agent adds up about 2,600 stored month histograms (12 months, 40 agents,
five duration metrics) and decodes them from JSON first: on SQLite that was most of its time.
But a past month's row rarely changes (a fact lands in the month it ended in, and only imports
end spans in the past), so the histograms of a group's rows before the period's last month are
merged once and kept here (the last month's rows, which the sweep adds to every few seconds,
are read every time), keyed by *what was merged*: each row's identity and its totals as
the report just read them
``(id, span, day, metric, key, count, seconds, business seconds, met)`` and the sign it was
added with. A row the sweep has added facts to since has other totals, so the key differs and
the group is merged again from the stored rows: a report never reads a stale histogram.

Bounded (:data:`LIMIT` groups, least recently used dropped), counts kept in ``array`` (8
bytes a bucket, not a Python int each), safe across threads.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atende.domain import histogram

LIMIT = 4_000  # groups; a year by day is about 1,800 of them, a year by agent 200
Signature = tuple[Hashable, ...]  # (dim, metric, ((row..., sign), ...))


@dataclass(frozen=True)
class Merged:
    """The calendar and business histograms of a group's stored rows, added up."""

    offset_s: int
    counts_s: array[int]
    offset_b: int
    counts_b: array[int]

    def dense(self) -> tuple[histogram.Dense, histogram.Dense]:
        return (
            histogram.Dense(self.offset_s, tuple(self.counts_s)),
            histogram.Dense(self.offset_b, tuple(self.counts_b)),
        )


_kept: OrderedDict[Signature, Merged] = OrderedDict()
_lock = threading.Lock()


def merged(
    groups: Mapping[Signature, Sequence[tuple[int, int]]],
    fetch: Callable[[Sequence[int]], Iterable[tuple[int, Any, Any]]],
    *,
    also: Sequence[int] = (),
) -> tuple[dict[Signature, Merged], dict[int, tuple[Any, Any]]]:
    """Per group signature, its merged histograms; and the stored histograms of the rows
    ``also`` (rows that may still change: read every time, never kept). ``groups`` maps each
    signature to the ``(row id, sign)`` pairs it adds up; ``fetch(ids)`` answers ``(id, hist_s,
    hist_b)`` of stored rows (called once, for the groups not kept and ``also``)."""
    out: dict[Signature, Merged] = {}
    with _lock:
        for sig in groups:
            hit = _kept.get(sig)
            if hit is not None:
                _kept.move_to_end(sig)
                out[sig] = hit
    missing = [sig for sig in groups if sig not in out]
    ids = sorted({row_id for sig in missing for row_id, _sign in groups[sig]} | set(also))
    stored = {row_id: (hs, hb) for row_id, hs, hb in fetch(ids)} if ids else {}
    fresh: dict[Signature, Merged] = {}
    for sig in missing:
        sums_s, sums_b = [0] * histogram.BUCKETS, [0] * histogram.BUCKETS
        for row_id, sign in groups[sig]:
            hs, hb = stored[row_id]
            histogram.add_into(sums_s, hs, sign=sign)
            histogram.add_into(sums_b, hb, sign=sign)
        fresh[sig] = Merged(*_packed(sums_s), *_packed(sums_b))
    if fresh:
        with _lock:
            for sig, value in fresh.items():
                _kept[sig] = value
            while len(_kept) > LIMIT:
                _kept.popitem(last=False)
    out.update(fresh)
    return out, {row_id: stored[row_id] for row_id in also}


def _packed(sums: list[int]) -> tuple[int, array[int]]:
    """The used range of a count per bucket: its offset and counts."""
    lo = next((i for i, n in enumerate(sums) if n), None)
    if lo is None:
        return 0, array("q")
    hi = len(sums) - next(i for i, n in enumerate(reversed(sums)) if n)
    return lo, array("q", sums[lo:hi])


def forget() -> None:
    """Drop every kept group (tests; a rebuilt rollup needs no call: its rows differ)."""
    with _lock:
        _kept.clear()
