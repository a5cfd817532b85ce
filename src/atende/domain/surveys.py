"""Satisfaction surveys, pure: the scales, CSAT and NPS figures, who is internal, and the
deterministic sample of a relationship (corporate) NPS campaign.

CSAT is asked on 1–5; 4 and 5 count as satisfied (Zendesk's and Chatwoot's reading). NPS is
asked on 0–10: 9–10 promoters, 7–8 passives, 0–6 detractors; the score is the percentage of
promoters minus the percentage of detractors (−100..100).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

KINDS = ("csat", "nps")
SCALES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10)}
LOW_CSAT = 2
"""A CSAT score at or below this asks why."""
SATISFIED_CSAT = 4
PROMOTER = 9
DETRACTOR_MAX = 6

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ScoreOutOfScale(ValueError):
    def __init__(self, kind: str, score: int) -> None:
        low, high = SCALES[kind]
        super().__init__(f"a {kind} score lies between {low} and {high}, not {score}")


def check_score(kind: str, score: int) -> int:
    low, high = SCALES[kind]
    if not low <= score <= high:
        raise ScoreOutOfScale(kind, score)
    return score


def asks_why(kind: str, score: int) -> bool:
    """A low score asks for a reason: CSAT 1–2, NPS detractors."""
    return score <= (LOW_CSAT if kind == "csat" else DETRACTOR_MAX)


@dataclass(frozen=True)
class CsatFigures:
    count: int
    satisfied: int
    satisfied_percent: float | None
    average: float | None


@dataclass(frozen=True)
class NpsFigures:
    count: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


def csat_figures(count: int, satisfied: int, total: int) -> CsatFigures:
    """From the count of answers, how many were 4–5 and the sum of the scores."""
    if count == 0:
        return CsatFigures(0, 0, None, None)
    return CsatFigures(
        count, satisfied, round(100.0 * satisfied / count, 1), round(total / count, 2)
    )


def nps_figures(count: int, promoters: int, detractors: int) -> NpsFigures:
    if count == 0:
        return NpsFigures(0, 0, 0, 0, None)
    nps = round(100.0 * (promoters - detractors) / count, 1)
    return NpsFigures(count, promoters, count - promoters - detractors, detractors, nps)


def csat_of(scores: Iterable[int]) -> CsatFigures:
    values = list(scores)
    return csat_figures(len(values), sum(1 for s in values if s >= SATISFIED_CSAT), sum(values))


def nps_of(scores: Iterable[int]) -> NpsFigures:
    values = list(scores)
    return nps_figures(
        len(values),
        sum(1 for s in values if s >= PROMOTER),
        sum(1 for s in values if s <= DETRACTOR_MAX),
    )


def normalize_domain(value: str) -> str:
    """A domain as stored in the internal list (lower case, no ``@``); ValueError if invalid."""
    domain = value.strip().lower().removeprefix("@").rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValueError(f"{value!r} is not a domain name (e.g. empresa.com.br)")
    return domain


def is_internal(email: str | None, domains: Sequence[str]) -> bool:
    """Is ``email`` at one of ``domains`` or a subdomain of one?"""
    if not email or "@" not in email:
        return False
    host = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def sample(ids: Iterable[int], *, percent: int | None, maximum: int | None, seed: str) -> list[int]:
    """A deterministic sample of ``ids``: each id is ranked by a hash of ``seed`` and itself, and
    the first ``percent`` % (rounded up, at least one when there are any) and at most
    ``maximum`` are kept, in ascending id order. The same seed and ids always give the same
    sample; a different seed another one. An id's rank does not depend on the other ids, so a
    contact added later does not reshuffle the rest."""
    unique = sorted(set(ids))
    if not unique:
        return []
    keep = len(unique)
    if percent is not None:
        keep = max(1, -(-len(unique) * percent // 100))
    if maximum is not None:
        keep = min(keep, maximum)
    ranked = sorted(unique, key=lambda i: (_rank(seed, i), i))
    return sorted(ranked[:keep])


def _rank(seed: str, item: int) -> bytes:
    return hashlib.sha256(f"{seed}:{item}".encode()).digest()


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the month's last day when it is shorter: 31
    January + 1 month = 28 or 29 February), for a campaign's next round."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
