"""The condition language (atende.domain.conditions): parsing and validation against known
fields, evaluation (checked against a plain reference with hypothesis), explanations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain.conditions import (
    ALWAYS,
    MAX_DEPTH,
    MAX_LEAVES,
    TICKET_FIELDS,
    FieldDef,
    FieldRegistry,
    FieldType,
    Group,
    InvalidCondition,
    Leaf,
    Op,
    describe,
    evaluate,
    to_json,
    validate,
)

REG = FieldRegistry(TICKET_FIELDS)


def ok(conditions: dict[str, Any], facts: dict[str, Any]) -> bool:
    return evaluate(validate(conditions, REG), facts).matched


def refused(conditions: Any) -> InvalidCondition:
    with pytest.raises(InvalidCondition) as err:
        validate(conditions, REG)
    return err.value


# ------------------------------------------------------------------------------ validation


def test_the_issue_example_parses_and_explains() -> None:
    c = validate({"all": [{"field": "organization.plan", "op": "in", "value": ["Prime"]}]}, REG)
    assert c == Group(
        "all", (Leaf("organization.plan", Op.IN, ("Prime",), None, FieldType.STRING),)
    )
    m = evaluate(c, {"organization.plan": "prime"})
    assert m.matched
    assert m.explanation == "organization.plan in [Prime]"
    assert describe(c) == "organization.plan in [Prime]"


def test_empty_conditions_always_match() -> None:
    assert validate({}, REG) == ALWAYS
    assert validate({"any": []}, REG) == Group("any", ())
    assert evaluate(ALWAYS, {}).matched
    assert evaluate(ALWAYS, {}).explanation == "always"


@pytest.mark.parametrize(
    ("conditions", "field", "fragment"),
    [
        (
            {"all": [{"field": "organization.plam", "op": "eq", "value": "x"}]},
            "conditions.all[0].field",
            "did you mean 'organization.plan'",
        ),
        (
            {"all": [{"field": "ticket.priority", "op": "equals", "value": "x"}]},
            "conditions.all[0].op",
            "unknown op",
        ),
        (
            {"all": [{"field": "ticket.priority", "op": "gt", "value": "high"}]},
            "conditions.all[0].op",
            "not valid for enum",
        ),
        (
            {"all": [{"field": "ticket.priority", "op": "eq", "value": "urgentissimo"}]},
            "conditions.all[0].value",
            "choose from",
        ),
        (
            {"any": [{"field": "organization.stores", "op": "gt", "value": "15"}]},
            "conditions.any[0].value",
            "needs a number",
        ),
        (
            {"all": [{"field": "organization.plan", "op": "in", "value": "Prime"}]},
            "conditions.all[0].value",
            "list",
        ),
        (
            {"all": [{"field": "organization.plan", "op": "in", "value": []}]},
            "conditions.all[0].value",
            "at least one",
        ),
        (
            {"all": [{"field": "ticket.tags", "op": "is_set", "value": "x"}]},
            "conditions.all[0].value",
            "takes no value",
        ),
        (
            {"all": [{"field": "ticket.created_at", "op": "gt", "value": "2026-01-31T09:00"}]},
            "conditions.all[0].value",
            "UTC offset",
        ),
        (
            {"all": [{"field": "ticket.subject", "op": "matches", "value": "(?=boleto)"}]},
            "conditions.all[0].value",
            "invalid regular expression '(?=boleto)'",
        ),
        (
            {"all": [{"field": "ticket.subject", "op": "matches", "value": r"(a)\1"}]},
            "conditions.all[0].value",
            "backreferences",
        ),
        (
            {"all": [{"field": "ticket.subject", "op": "matches", "value": "(unclosed"}]},
            "conditions.all[0].value",
            "invalid regular expression",
        ),
        (
            {"all": [{"field": "ticket.subject", "op": "eq", "value": "x", "vlaue": 1}]},
            "conditions.all[0].vlaue",
            "unknown key",
        ),
        ({"all": [], "any": []}, "conditions", "exactly one key"),
        ({"all": {"field": "x"}}, "conditions.all", "must be a list"),
        ({"all": ["ticket.subject"]}, "conditions.all[0]", "expected an object"),
        (
            {"all": [{"field": "custom_fields.bad key", "op": "eq", "value": 1}]},
            "conditions.all[0].field",
            "unknown field",
        ),
    ],
)
def test_invalid_conditions_name_the_path(
    conditions: dict[str, Any], field: str, fragment: str
) -> None:
    err = refused(conditions)
    assert err.field == field
    assert fragment in err.message


def test_root_must_be_an_object() -> None:
    assert refused(["x"]).field == "conditions"


def test_depth_and_size_limits() -> None:
    leaf = {"field": "ticket.subject", "op": "eq", "value": "x"}
    node: dict[str, Any] = {"all": [leaf]}
    for _ in range(MAX_DEPTH - 1):
        node = {"all": [node]}
    validate(node, REG)
    assert "nested" in refused({"all": [node]}).message
    assert "more than" in refused({"any": [leaf] * (MAX_LEAVES + 1)}).message


def test_enum_values_are_stored_canonically_and_custom_fields_accepted() -> None:
    c = validate({"all": [{"field": "ticket.priority", "op": "eq", "value": "URGENT"}]}, REG)
    assert to_json(c) == {"all": [{"field": "ticket.priority", "op": "eq", "value": "urgent"}]}
    validate({"all": [{"field": "custom_fields.erp_version", "op": "gt", "value": 3}]}, REG)
    closed = FieldRegistry(TICKET_FIELDS, allow_custom_fields=False)
    with pytest.raises(InvalidCondition):
        validate({"all": [{"field": "custom_fields.erp", "op": "eq", "value": 1}]}, closed)


# ------------------------------------------------------------------------------ evaluation


@pytest.mark.parametrize(
    ("pattern", "matched"),
    [
        ("(a|a)*$", True),  # the empty match at the end
        ("(.*a){15}$", False),  # the text ends with "!", never after an "a"
        ("(a+)+$", False),
        ("^(a+)+!$", True),
        ("(a|aa)+!$", True),
        ("ÇÃO", False),
    ],
)
def test_patterns_that_backtrack_in_python_run_in_linear_time(pattern: str, matched: bool) -> None:
    """RE2 answers these on 30 characters at once; Python's re would take minutes to hours."""
    leaf = {"all": [{"field": "ticket.subject", "op": "matches", "value": pattern}]}
    assert ok(leaf, {"ticket.subject": "a" * 29 + "!"}) is matched


def test_patterns_are_case_insensitive_beyond_ascii() -> None:
    leaf = {"all": [{"field": "ticket.subject", "op": "matches", "value": "ATENÇÃO"}]}
    assert ok(leaf, {"ticket.subject": "atenção: boleto vencido"})


def test_text_ops_are_case_insensitive() -> None:
    facts = {"ticket.subject": "Boleto VENCIDO", "ticket.tags": ["VIP", "prime"]}
    assert ok({"all": [{"field": "ticket.subject", "op": "contains", "value": "vencido"}]}, facts)
    assert ok({"all": [{"field": "ticket.subject", "op": "starts_with", "value": "boleto"}]}, facts)
    assert ok({"all": [{"field": "ticket.subject", "op": "matches", "value": "^bol.*do$"}]}, facts)
    assert ok({"all": [{"field": "ticket.tags", "op": "contains", "value": "vip"}]}, facts)
    assert ok(
        {"all": [{"field": "ticket.tags", "op": "contains_any", "value": ["x", "PRIME"]}]}, facts
    )
    assert not ok({"all": [{"field": "ticket.tags", "op": "not_contains", "value": "Vip"}]}, facts)


def test_missing_facts_fail_positive_ops_and_satisfy_negative_ones() -> None:
    for op, value in (("eq", "Prime"), ("in", ["Prime"]), ("contains", "P"), ("starts_with", "P")):
        assert not ok({"all": [{"field": "organization.plan", "op": op, "value": value}]}, {})
    for op, value in (("ne", "Prime"), ("not_in", ["Prime"]), ("not_contains", "P")):
        assert ok({"all": [{"field": "organization.plan", "op": op, "value": value}]}, {})
    assert ok(
        {"all": [{"field": "organization.plan", "op": "is_not_set"}]}, {"organization.plan": "  "}
    )
    assert not ok({"all": [{"field": "ticket.tags", "op": "is_set"}]}, {"ticket.tags": []})
    assert ok(
        {"all": [{"field": "organization.key_account", "op": "is_set"}]},
        {"organization.key_account": False},
    )


def test_numbers_booleans_and_datetimes() -> None:
    facts = {
        "organization.stores": 16,
        "organization.key_account": True,
        "ticket.created_at": datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
    }
    assert ok({"all": [{"field": "organization.stores", "op": "gte", "value": 15}]}, facts)
    assert not ok({"all": [{"field": "organization.stores", "op": "lt", "value": 15.5}]}, facts)
    assert ok({"all": [{"field": "organization.key_account", "op": "eq", "value": True}]}, facts)
    assert not ok(
        {"all": [{"field": "organization.key_account", "op": "eq", "value": 1 == 0}]}, facts
    )
    assert ok({"all": [{"field": "ticket.created_at", "op": "eq", "value": "2026-01-31"}]}, facts)
    assert ok(
        {"all": [{"field": "ticket.created_at", "op": "gt", "value": "2026-01-31T20:00:00-03:00"}]},
        facts,
    )
    assert ok(
        {"all": [{"field": "custom_fields.version", "op": "gt", "value": 3}]},
        {"custom_fields.version": "3,5"},
    )


def test_explanations_name_the_deciding_leaves() -> None:
    c = validate(
        {
            "any": [
                {
                    "all": [
                        {"field": "organization.key_account", "op": "eq", "value": True},
                        {"field": "organization.stores", "op": "gt", "value": 15},
                    ]
                },
                {"field": "organization.plan", "op": "in", "value": ["Prime", "Plus"]},
            ]
        },
        REG,
    )
    m = evaluate(c, {"organization.key_account": True, "organization.stores": 20})
    assert m.explanation == "(organization.key_account = true and organization.stores > 15)"
    m = evaluate(c, {"organization.plan": "Light"})
    assert not m.matched
    assert (
        "organization.plan in [Prime, Plus] is false (organization.plan is Light)" in m.explanation
    )
    assert describe(c) == (
        "(organization.key_account = true and organization.stores > 15) or "
        "organization.plan in [Prime, Plus]"
    )


# ------------------------------------------------------------------ property vs reference

FIELDS = {
    "s": FieldDef("s", FieldType.STRING),
    "n": FieldDef("n", FieldType.NUMBER),
    "b": FieldDef("b", FieldType.BOOLEAN),
    "l": FieldDef("l", FieldType.LIST),
    "e": FieldDef("e", FieldType.ENUM, ("red", "green", "blue")),
}
SMALL = FieldRegistry(FIELDS.values(), allow_custom_fields=False)
WORDS = ["a", "B", "ab", "Ab", "ba", ""]
text = st.sampled_from(WORDS)
number = st.integers(-3, 3)
colour = st.sampled_from(["red", "GREEN", "blue"])


def leaves() -> st.SearchStrategy[dict[str, Any]]:
    def leaf(
        field: str, op: str, value: st.SearchStrategy[Any] | None
    ) -> st.SearchStrategy[dict[str, Any]]:
        if value is None:
            return st.just({"field": field, "op": op})
        return value.map(lambda v: {"field": field, "op": op, "value": v})

    options = [
        *(
            leaf("s", op, text.filter(bool))
            for op in ("eq", "ne", "contains", "not_contains", "starts_with")
        ),
        *(
            leaf("s", op, st.lists(text.filter(bool), min_size=1, max_size=3))
            for op in ("in", "not_in")
        ),
        *(leaf("n", op, number) for op in ("eq", "ne", "gt", "gte", "lt", "lte")),
        leaf("n", "in", st.lists(number, min_size=1, max_size=3)),
        *(leaf("b", op, st.booleans()) for op in ("eq", "ne")),
        *(leaf("l", op, text.filter(bool)) for op in ("contains", "not_contains")),
        leaf("l", "contains_any", st.lists(text.filter(bool), min_size=1, max_size=3)),
        *(leaf("e", op, colour) for op in ("eq", "ne")),
        *(leaf(f, op, None) for f in FIELDS for op in ("is_set", "is_not_set")),
    ]
    return st.one_of(options)


trees = st.recursive(
    leaves(),
    lambda children: st.builds(
        lambda kind, items: {kind: items},
        st.sampled_from(["all", "any"]),
        st.lists(children, max_size=3),
    ),
    max_leaves=8,
).map(lambda node: node if "all" in node or "any" in node else {"all": [node]})

facts_strategy = st.fixed_dictionaries(
    {},
    optional={
        "s": st.one_of(st.none(), text),
        "n": st.one_of(st.none(), number),
        "b": st.one_of(st.none(), st.booleans()),
        "l": st.one_of(st.none(), st.lists(text, max_size=3)),
        "e": st.one_of(st.none(), st.sampled_from(["red", "Green", "blue"])),
    },
)


def low(x: Any) -> Any:
    return x.lower() if isinstance(x, str) else x


def reference(node: dict[str, Any], facts: dict[str, Any]) -> bool:
    """The documented semantics, written plainly (an empty group places no restriction)."""
    if "all" in node:
        return all(reference(c, facts) for c in node["all"])
    if "any" in node:
        return not node["any"] or any(reference(c, facts) for c in node["any"])
    field, op, value = node["field"], node["op"], node.get("value")
    fact = facts.get(field)
    present = fact is not None and fact != "" and fact != []
    if op == "is_set":
        return present
    if op == "is_not_set":
        return not present
    if op in ("ne", "not_in", "not_contains"):
        positive = {"ne": "eq", "not_in": "in", "not_contains": "contains"}[op]
        return not reference({"field": field, "op": positive, "value": value}, facts)
    if fact is None:
        return False
    if op == "eq":
        if field == "b":
            return fact is value
        return low(fact) == low(value)
    if op == "in":
        return any(low(fact) == low(v) for v in value)
    if op == "contains":
        if isinstance(fact, list):
            return any(low(x) == low(value) for x in fact)
        return low(value) in low(fact)
    if op == "contains_any":
        return any(low(x) in [low(v) for v in value] for x in fact)
    if op == "starts_with":
        return low(fact).startswith(low(value))
    return {"gt": fact > value, "gte": fact >= value, "lt": fact < value, "lte": fact <= value}[op]


@settings(max_examples=300, deadline=None)
@given(trees, facts_strategy)
def test_evaluation_matches_the_reference(tree: dict[str, Any], facts: dict[str, Any]) -> None:
    parsed = validate(tree, SMALL)
    assert evaluate(parsed, facts).matched == reference(tree, facts)


@settings(max_examples=200, deadline=None)
@given(trees)
def test_to_json_round_trips(tree: dict[str, Any]) -> None:
    parsed = validate(tree, SMALL)
    assert validate(to_json(parsed), SMALL) == parsed
    assert isinstance(describe(parsed), str)
