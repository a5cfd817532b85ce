"""Properties of the audit trail's diff (atende/audit/record.py): only what changed is kept,
everything that changed is kept, and no secret ever comes out, however deep it sits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atende.audit.record import CHANGED, SECRET_COLUMNS, SECRET_KEYS, diff

pytestmark = pytest.mark.nodb

SECRET_MARK = "S3CR3T"
FIELDS = ["name", "active", "rank", "conditions", "actions", *SECRET_COLUMNS]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["a", "b"]))
keys = st.sampled_from(["url", "value", "type", *sorted(SECRET_KEYS)])


def _json(children: Any) -> Any:
    return st.one_of(st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=3))


values = st.recursive(scalars, _json, max_leaves=8)
snapshots = st.dictionaries(st.sampled_from(FIELDS), values, min_size=len(FIELDS) // 2)


def _with_secrets(value: Any, tag: str) -> Any:
    """Every secret (column or nested key) made a recognisable secret string."""
    if isinstance(value, dict):
        return {
            k: f"{SECRET_MARK}-{tag}-{v}" if k in SECRET_KEYS else _with_secrets(v, tag)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_secrets(v, tag) for v in value]
    return value


def _prepare(snapshot: dict[str, Any], tag: str) -> dict[str, Any]:
    out = {k: _with_secrets(v, tag) for k, v in snapshot.items()}
    for column in SECRET_COLUMNS:
        if column in out:
            out[column] = f"{SECRET_MARK}-{tag}-{out[column]}"
    return out


@given(snapshots, snapshots)
def test_an_update_keeps_exactly_the_changed_fields_and_no_secret(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    before, after = _prepare(before, "old"), _prepare(after, "new")
    changes = diff(before, after)
    assert SECRET_MARK not in json.dumps(changes)
    shown = {SECRET_COLUMNS.get(k, k) for k in set(before) | set(after)
             if before.get(k) != after.get(k)}  # fmt: skip
    assert set(changes) == shown
    for column, name in SECRET_COLUMNS.items():
        if name in changes:
            assert changes[name] == {"before": None, "after": CHANGED}
            assert before.get(column) != after.get(column)


@given(snapshots)
def test_an_update_that_changes_nothing_keeps_nothing(snapshot: dict[str, Any]) -> None:
    prepared = _prepare(snapshot, "same")
    assert diff(prepared, dict(prepared)) == {}


@given(snapshots)
def test_creation_and_deletion_show_what_was_set_and_no_secret(snapshot: dict[str, Any]) -> None:
    prepared = _prepare(snapshot, "x")
    for changes in (diff(None, prepared), diff(prepared, None)):
        assert SECRET_MARK not in json.dumps(changes)
    deleted = diff(prepared, None)
    assert not set(deleted) & set(SECRET_COLUMNS.values())  # a deletion shows no secret at all
    for change in deleted.values():
        assert change["after"] is None and change["before"] not in (None, "", [], {})
