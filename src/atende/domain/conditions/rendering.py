"""Conditions as readable text (``describe``) and back as JSON (``to_json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from atende.domain.conditions.fields import _PRESENCE, Op
from atende.domain.conditions.tree import Condition, Group, Leaf, Value


def _paren(text: str, parts: int) -> str:
    return f"({text})" if parts > 1 else text


_OP_TEXT: Final[Mapping[Op, str]] = {
    Op.EQ: "=",
    Op.NE: "!=",
    Op.GT: ">",
    Op.GTE: ">=",
    Op.LT: "<",
    Op.LTE: "<=",
}


def describe(cond: Condition) -> str:
    """Readable text, e.g. ``ticket.priority = urgent and organization.plan in [Prime]``."""
    text, _ = _describe(cond)
    return text


def _describe(cond: Condition) -> tuple[str, int]:
    if isinstance(cond, Leaf):
        return _describe_leaf(cond), 1
    if not cond.children:
        return "always", 1
    parts = [_paren(*_describe(child)) for child in cond.children]
    joiner = " and " if cond.kind == "all" else " or "
    return joiner.join(parts), len(parts)


def _describe_leaf(leaf: Leaf) -> str:
    op_text = _OP_TEXT.get(leaf.op, leaf.op.value.replace("_", " "))
    if leaf.op in _PRESENCE:
        return f"{leaf.field} {op_text}"
    return f"{leaf.field} {op_text} {_show_value(leaf.value)}"


def _show_value(value: Value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_json(cond: Condition) -> dict[str, Any]:
    """The JSON form; ``validate(to_json(c), registry) == c``."""
    if isinstance(cond, Group):
        return {cond.kind: [to_json(child) for child in cond.children]}
    out: dict[str, Any] = {"field": cond.field, "op": cond.op.value}
    if cond.op not in _PRESENCE:
        out["value"] = list(cond.value) if isinstance(cond.value, tuple) else cond.value
    return out
