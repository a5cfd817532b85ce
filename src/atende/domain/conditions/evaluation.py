"""Does a condition hold for a ticket's facts, and why (the explanation); the regular
expressions of ``matches`` are compiled by RE2, whose time is linear in the text whatever the
pattern (checked when a condition is validated: docs/rules.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

import re2

from atende.domain.conditions.fields import FieldType, InvalidCondition, Op
from atende.domain.conditions.rendering import _describe_leaf, _paren, _show_value
from atende.domain.conditions.tree import Condition, Leaf, LeafCheck, Match, Pattern, Value

MAX_PATTERN_LENGTH: Final = 200
"""Longest accepted regular expression for ``matches``."""
MAX_MATCH_TEXT: Final = 20_000
"""``matches`` only looks at the first this-many characters of a fact."""
_RE2_OPTIONS: Final = re2.Options()
_RE2_OPTIONS.case_sensitive = False
_RE2_OPTIONS.log_errors = False  # a refused pattern is the caller's error, not a log line


def _compile(source: str, path: str) -> Pattern:
    """The pattern compiled by RE2, which runs in time linear in the text (docs/rules.md)."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise InvalidCondition(
            "regular expression longer than {max_pattern_length} characters",
            field=path,
            max_pattern_length=MAX_PATTERN_LENGTH,
        )
    try:
        compiled: Pattern = re2.compile(source, _RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "cannot be compiled"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidCondition(
            "invalid regular expression {source!r}: {reason} (patterns "
            "run on RE2: no lookarounds such as (?=...) or "
            "backreferences such as \\1)",
            field=path,
            source=source,
            reason=reason,
        ) from exc
    return compiled


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --------------------------------------------------------------------------------- evaluation


def evaluate(cond: Condition, facts: Mapping[str, Any]) -> Match:
    """Does ``cond`` hold for ``facts``? The explanation says which leaves decided it."""
    ok, text, _ = _evaluate(cond, facts)
    return Match(ok, text)


def leaf_checks(cond: Condition, facts: Mapping[str, Any]) -> tuple[LeafCheck, ...]:
    """Every leaf of ``cond`` in order, each with the fact it looked at and whether it holds
    on its own (none is skipped: the dry-run shows which conditions match and which do not,
    even after the group's outcome is decided). ``depth`` is 1 for a leaf of the root group."""
    out: list[LeafCheck] = []

    def walk(node: Condition, depth: int, group: Literal["all", "any"]) -> None:
        if isinstance(node, Leaf):
            fact = facts.get(node.field)
            shown = _as_value(fact) if _is_set(fact) else None
            out.append(LeafCheck(node, _leaf_holds(node, fact), shown, depth, group))
            return
        for child in node.children:
            walk(child, depth + 1, node.kind)

    if isinstance(cond, Leaf):
        walk(cond, 1, "all")
    else:
        for child in cond.children:
            walk(child, 1, cond.kind)
    return tuple(out)


def _evaluate(cond: Condition, facts: Mapping[str, Any]) -> tuple[bool, str, int]:
    """(matched, explanation, number of parts in the explanation)."""
    if isinstance(cond, Leaf):
        fact = facts.get(cond.field)
        if _leaf_holds(cond, fact):
            return True, _describe_leaf(cond), 1
        return False, f"{_describe_leaf(cond)} is false ({_show_fact(cond.field, fact)})", 1
    if not cond.children:
        return True, "always", 1
    if cond.kind == "all":
        parts: list[str] = []
        for child in cond.children:
            ok, text, n = _evaluate(child, facts)
            if not ok:
                return False, text, n
            if text != "always":
                parts.append(_paren(text, n))
        return True, " and ".join(parts) or "always", max(len(parts), 1)
    matched: list[str] = []
    failed: list[str] = []
    for child in cond.children:
        ok, text, n = _evaluate(child, facts)
        (matched if ok else failed).append(_paren(text, n))
    if matched:
        return True, " or ".join(matched), len(matched)
    return False, "none matched: " + "; ".join(failed), len(failed)


def _show_fact(name: str, fact: object) -> str:
    if not _is_set(fact):
        return f"{name} is not set"
    shown = _show_value(_as_value(fact))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} is {shown}"


def _as_value(fact: object) -> Value:
    if isinstance(fact, (list, tuple, set, frozenset)):
        return tuple(x for x in fact if isinstance(x, (str, int, float, bool)))
    if fact is None or isinstance(fact, (str, int, float, bool)):
        return fact
    return str(fact)


def _is_collection(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _is_set(fact: object) -> bool:
    if fact is None:
        return False
    if isinstance(fact, str):
        return bool(fact.strip())
    if _is_collection(fact):
        return len(fact) > 0  # type: ignore[arg-type]
    return True


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _leaf_holds(leaf: Leaf, fact: object) -> bool:
    op, value, ftype = leaf.op, leaf.value, leaf.field_type
    if op is Op.IS_SET:
        return _is_set(fact)
    if op is Op.IS_NOT_SET:
        return not _is_set(fact)
    if op is Op.NE:
        return not _equals(ftype, fact, value)
    if op is Op.NOT_IN:
        return not _one_of(ftype, fact, value)
    if op is Op.NOT_CONTAINS:
        return not _contains(fact, value)
    if fact is None:
        return False
    if op is Op.EQ:
        return _equals(ftype, fact, value)
    if op is Op.IN:
        return _one_of(ftype, fact, value)
    if op is Op.CONTAINS:
        return _contains(fact, value)
    if op is Op.CONTAINS_ANY:
        if not _is_collection(fact) or not isinstance(value, tuple):
            return False
        wanted = {_fold(v) for v in value}
        return any(_fold(item) in wanted for item in fact)  # type: ignore[attr-defined]
    if op is Op.STARTS_WITH:
        return (
            isinstance(fact, str)
            and isinstance(value, str)
            and fact.casefold().startswith(value.casefold())
        )
    if op is Op.MATCHES:
        if not isinstance(fact, str) or not isinstance(value, str):
            return False
        pattern = leaf.pattern if leaf.pattern is not None else _compile(value, leaf.field)
        return pattern.search(fact[:MAX_MATCH_TEXT]) is not None
    order = _compare(ftype, fact, value)
    if order is None:
        return False
    if op is Op.GT:
        return order > 0
    if op is Op.GTE:
        return order >= 0
    if op is Op.LT:
        return order < 0
    return order <= 0  # LTE


def _one_of(ftype: FieldType, fact: object, value: Value) -> bool:
    return isinstance(value, tuple) and any(_equals(ftype, fact, v) for v in value)


def _contains(fact: object, value: Value) -> bool:
    if fact is None or value is None:
        return False
    if isinstance(fact, str):
        return str(value).casefold() in fact.casefold()
    if _is_collection(fact):
        return any(_loose_equals(item, value) for item in fact)  # type: ignore[attr-defined]
    return False


def _equals(ftype: FieldType, fact: object, value: Value) -> bool:
    if fact is None or value is None:
        return False
    if ftype in (FieldType.STRING, FieldType.ENUM):
        text = fact if isinstance(fact, str) else str(fact)
        return isinstance(value, str) and text.casefold() == value.casefold()
    if ftype is FieldType.NUMBER:
        number = _as_number(fact)
        return number is not None and number == value
    if ftype is FieldType.BOOLEAN:
        return isinstance(fact, bool) and fact is value
    if ftype is FieldType.DATETIME:
        return _compare(ftype, fact, value) == 0
    return _loose_equals(fact, value)


def _loose_equals(fact: object, value: object) -> bool:
    """Equality for values of unknown type: text case-insensitively, numbers as numbers."""
    if isinstance(fact, bool) or isinstance(value, bool):
        return fact is value
    if isinstance(fact, str) and isinstance(value, str):
        return fact.casefold() == value.casefold()
    if _is_number(fact) or _is_number(value):
        a, b = _as_number(fact), _as_number(value)
        return a is not None and a == b
    return fact == value


def _as_number(value: object) -> float | int | None:
    if _is_number(value):
        assert isinstance(value, int | float)
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ".")) if value.strip() else None
        except ValueError:
            return None
        return number if number is not None and math.isfinite(number) else None
    return None


def _parse_temporal(value: object) -> datetime | date | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _compare(ftype: FieldType, fact: object, value: Value) -> int | None:
    """-1/0/1 for fact versus value, or None when they cannot be compared."""
    if ftype is FieldType.NUMBER or (ftype is FieldType.ANY and _is_number(value)):
        a, b = _as_number(fact), _as_number(value)
        if a is None or b is None:
            return None
        return (a > b) - (a < b)
    if ftype in (FieldType.DATETIME, FieldType.ANY):
        wanted = _parse_temporal(value)
        got = _parse_temporal(fact)
        if wanted is None or got is None:
            return None
        if isinstance(wanted, datetime):
            got_dt = got if isinstance(got, datetime) else datetime.combine(got, time(), UTC)
            if got_dt.tzinfo is None:
                got_dt = got_dt.replace(tzinfo=UTC)
            if wanted.tzinfo is None:
                wanted = wanted.replace(tzinfo=UTC)
            return (got_dt > wanted) - (got_dt < wanted)
        got_day = got.date() if isinstance(got, datetime) else got
        return (got_day > wanted) - (got_day < wanted)
    return None
