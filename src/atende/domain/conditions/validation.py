"""Condition JSON parsed and checked against a field registry (:func:`validate`)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal

from atende.domain.conditions.evaluation import _compile, _is_number, _parse_temporal
from atende.domain.conditions.fields import (
    _ORDER,
    _PRESENCE,
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_LIST_VALUES,
    MAX_TEXT_VALUE,
    OPS_BY_TYPE,
    FieldDef,
    FieldRegistry,
    FieldType,
    InvalidCondition,
    Op,
)
from atende.domain.conditions.tree import ALWAYS, Condition, Group, Leaf, Scalar, Value

_ROOT: Final = "conditions"


# --------------------------------------------------------------------------------- validation


def validate(conditions: Mapping[str, Any], registry: FieldRegistry) -> Condition:
    """Parse and check condition JSON; raises :class:`InvalidCondition` naming the path."""
    if not isinstance(conditions, Mapping):
        raise InvalidCondition("conditions must be an object", field=_ROOT)
    return _Parser(registry).node(conditions, _ROOT, 1)


class _Parser:
    def __init__(self, registry: FieldRegistry) -> None:
        self.registry = registry
        self.leaves = 0

    def node(self, node: object, path: str, depth: int) -> Condition:
        if not isinstance(node, Mapping):
            raise InvalidCondition("expected an object with 'all', 'any' or 'field'", field=path)
        if not node:
            return ALWAYS
        kinds = [k for k in ("all", "any") if k in node]
        if kinds:
            if len(node) != 1:
                extra = sorted(str(k) for k in node if k not in kinds)
                if len(kinds) > 1:
                    raise InvalidCondition(
                        "a group has exactly one key, 'all' or 'any'", field=path
                    )
                raise InvalidCondition(
                    "unexpected key {key!r} next to {kind!r}",
                    field=path,
                    key=extra[0],
                    kind=kinds[0],
                )
            kind: Literal["all", "any"] = "all" if kinds[0] == "all" else "any"
            if depth > MAX_DEPTH:
                raise InvalidCondition(
                    "conditions are nested more than {max_depth} levels deep",
                    field=path,
                    max_depth=MAX_DEPTH,
                )
            items = node[kind]
            if not _is_list(items):
                raise InvalidCondition("'{kind}' must be a list", field=f"{path}.{kind}", kind=kind)
            children = tuple(
                self.node(child, f"{path}.{kind}[{i}]", depth + 1) for i, child in enumerate(items)
            )
            return Group(kind, children)
        return self.leaf(node, path)

    def leaf(self, node: Mapping[Any, Any], path: str) -> Leaf:
        for key in node:
            if key not in ("field", "op", "value"):
                hint = _hint(str(key), ["field", "op", "value", "all", "any"])
                raise InvalidCondition(
                    "unknown key {key!r}{hint}", field=f"{path}.{key}", key=key, hint=hint
                )
        self.leaves += 1
        if self.leaves > MAX_LEAVES:
            raise InvalidCondition(
                "more than {max_leaves} conditions", field=path, max_leaves=MAX_LEAVES
            )
        name = node.get("field")
        if not isinstance(name, str) or not name:
            raise InvalidCondition("a condition needs a 'field' (text)", field=f"{path}.field")
        fdef = self.registry.get(name)
        if fdef is None:
            hint = _hint(name, self.registry.names)
            raise InvalidCondition(
                "unknown field {name!r}{hint}", field=f"{path}.field", name=name, hint=hint
            )
        raw_op = node.get("op")
        if not isinstance(raw_op, str) or raw_op not in Op.__members__.values():
            hint = _hint(str(raw_op), [o.value for o in Op]) if isinstance(raw_op, str) else ""
            raise InvalidCondition(
                "unknown op {raw_op!r}{hint}", field=f"{path}.op", raw_op=raw_op, hint=hint
            )
        op = Op(raw_op)
        if op not in OPS_BY_TYPE[fdef.type]:
            allowed = ", ".join(sorted(o.value for o in OPS_BY_TYPE[fdef.type]))
            raise InvalidCondition(
                "op '{op}' is not valid for {type} field {name!r} (valid: {allowed})",
                field=f"{path}.op",
                op=op,
                type=fdef.type,
                name=name,
                allowed=allowed,
            )
        vpath = f"{path}.value"
        value = _check_value(fdef, op, node.get("value"), vpath)
        pattern = None
        if op is Op.MATCHES:
            assert isinstance(value, str)
            pattern = _compile(value, vpath)
        return Leaf(name, op, value, pattern, fdef.type)


def _hint(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _check_value(fdef: FieldDef, op: Op, raw: object, path: str) -> Value:
    if op in _PRESENCE:
        if raw is not None:
            raise InvalidCondition("'{op}' takes no value", field=path, op=op)
        return None
    if raw is None:
        raise InvalidCondition("'{op}' needs a value", field=path, op=op)
    if op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY):
        if not _is_list(raw):
            raise InvalidCondition("'{op}' needs a list of values", field=path, op=op)
        assert isinstance(raw, Sequence)
        if not raw:
            raise InvalidCondition("'{op}' needs at least one value", field=path, op=op)
        if len(raw) > MAX_LIST_VALUES:
            raise InvalidCondition(
                "'{op}' takes at most {max_list_values} values",
                field=path,
                op=op,
                max_list_values=MAX_LIST_VALUES,
            )
        element_type = FieldType.STRING if op is Op.CONTAINS_ANY else fdef.type
        return tuple(
            _check_scalar(fdef, element_type, op, item, f"{path}[{i}]")
            for i, item in enumerate(raw)
        )
    if _is_list(raw):
        raise InvalidCondition("'{op}' needs a single value, not a list", field=path, op=op)
    if fdef.type is FieldType.LIST or op in (Op.STARTS_WITH, Op.MATCHES):
        return _check_scalar(fdef, FieldType.STRING, op, raw, path)
    if fdef.type is FieldType.ANY and op in _ORDER:
        if _is_number(raw):
            return _check_scalar(fdef, FieldType.NUMBER, op, raw, path)
        if isinstance(raw, str) and _parse_temporal(raw) is not None:
            return _check_scalar(fdef, FieldType.DATETIME, op, raw, path)
        raise InvalidCondition("'{op}' needs a number or an ISO date", field=path, op=op)
    return _check_scalar(fdef, fdef.type, op, raw, path)


def _check_scalar(fdef: FieldDef, ftype: FieldType, op: Op, raw: object, path: str) -> Scalar:
    if ftype in (FieldType.STRING, FieldType.LIST):
        if not isinstance(raw, str):
            raise InvalidCondition(
                "'{op}' on {name!r} needs text", field=path, op=op, name=fdef.name
            )
        if len(raw) > MAX_TEXT_VALUE:
            raise InvalidCondition(
                "text longer than {max_text_value} characters",
                field=path,
                max_text_value=MAX_TEXT_VALUE,
            )
        return raw
    if ftype is FieldType.ENUM:
        choices = fdef.choices or ()
        if isinstance(raw, str):
            for choice in choices:
                if choice.casefold() == raw.casefold():
                    return choice
        raise InvalidCondition(
            "{raw!r} is not a valid {name} (choose from: {choices})",
            field=path,
            raw=raw,
            name=fdef.name,
            choices=", ".join(choices),
        )
    if ftype is FieldType.NUMBER:
        if not _is_number(raw) or not math.isfinite(raw):  # type: ignore[arg-type]
            raise InvalidCondition(
                "'{op}' on {name!r} needs a number", field=path, op=op, name=fdef.name
            )
        assert isinstance(raw, int | float)
        return raw
    if ftype is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise InvalidCondition(
                "'{op}' on {name!r} needs true or false", field=path, op=op, name=fdef.name
            )
        return raw
    if ftype is FieldType.DATETIME:
        if not isinstance(raw, str):
            raise InvalidCondition(
                "'{op}' on {name!r} needs an ISO date", field=path, op=op, name=fdef.name
            )
        parsed = _parse_temporal(raw)
        if parsed is None:
            raise InvalidCondition(
                "{raw!r} is not an ISO date or date-time (e.g. 2026-01-31 or "
                "2026-01-31T09:00:00-03:00)",
                field=path,
                raw=raw,
            )
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise InvalidCondition(
                "{raw!r} has no UTC offset (add e.g. -03:00 or Z)", field=path, raw=raw
            )
        return raw
    # ANY
    if isinstance(raw, str):
        if len(raw) > MAX_TEXT_VALUE:
            raise InvalidCondition(
                "text longer than {max_text_value} characters",
                field=path,
                max_text_value=MAX_TEXT_VALUE,
            )
        return raw
    if isinstance(raw, bool) or (_is_number(raw) and math.isfinite(raw)):  # type: ignore[arg-type]
        assert isinstance(raw, int | float)
        return raw
    raise InvalidCondition("the value must be text, a number or true/false", field=path)
