"""Automation rules, pure (atende.domain.rules): templates (checked against a plain reference
with hypothesis), action and rule validation naming the path, run order, the operations a rule's
actions become, and the dry-run simulation with its cascade bounds."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain import conditions as cond
from atende.domain import rules as r
from atende.domain.rules import (
    Action,
    ActionType,
    InvalidRule,
    InvalidTemplate,
    Names,
    Placeholder,
    Update,
)

# ------------------------------------------------------------------------------ templates


def test_placeholders_name_known_variables_with_optional_fallback() -> None:
    t = r.parse_template("Olá, {{ contact.first_name | cliente }}! #{{ticket.number}}", field="b")
    assert t.variables == ("contact.first_name", "ticket.number")
    assert t.segments[1] == Placeholder(
        "contact.first_name", "cliente", "{{ contact.first_name | cliente }}"
    )
    values = {"contact.first_name": "Ana", "ticket.number": 1042}
    assert r.render(t, values) == "Olá, Ana! #1042"
    assert r.render(t, {"contact.first_name": "  ", "ticket.number": 7}) == "Olá, cliente! #7"
    assert r.render(t, {}) == "Olá, cliente! #"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "Olá {{contact.firstname}}",
            "unknown variable 'contact.firstname'; did you mean 'contact.first_name'",
        ),
        ("Olá {{ticket.number", "never closed"),
        ("Olá {{ }}", "malformed placeholder"),
        ("Olá {{ticket}}", "malformed placeholder"),
        ("{{ticket.number.__class__}}", "unknown variable"),
        ("{{ticket.number|a{b}}", "malformed placeholder"),
        ("{{ {{ticket.number}} }}", "malformed placeholder"),
        ("", "the text is empty"),
        ("x" * 10_001, "longer than 10000"),
    ],
)
def test_bad_templates_are_refused_naming_the_field(source: str, message: str) -> None:
    with pytest.raises(InvalidTemplate, match=re.escape(message)) as err:
        r.parse_template(source, field="actions[2].value")
    assert err.value.field == "actions[2].value"


def test_a_lone_closing_brace_pair_is_plain_text() -> None:
    t = r.parse_template("fim }} aqui", field="b")
    assert r.render(t, {}) == "fim }} aqui"


def test_escape_applies_to_values_not_to_the_template() -> None:
    t = r.parse_template("<p>{{contact.name|<i>cliente</i>}}</p>", field="b")
    esc = lambda s: s.replace("<", "&lt;")  # noqa: E731
    assert r.render(t, {"contact.name": "<b>Ana</b>"}, escape=esc) == "<p>&lt;b>Ana&lt;/b></p>"
    assert r.render(t, {}, escape=esc) == "<p><i>cliente</i></p>"


VARIABLES = sorted(r.TEMPLATE_VARIABLES)
plain_text = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30)
fallbacks = st.none() | st.text(alphabet=st.characters(blacklist_characters="{}|"), max_size=20)
placeholders = st.tuples(
    st.sampled_from(VARIABLES), fallbacks, st.sampled_from(["", " ", "  "])
).map(
    lambda p: (p[0], p[1], "{{" + p[2] + p[0] + p[2] + ("" if p[1] is None else "|" + p[1]) + "}}")
)
pieces = st.lists(st.one_of(plain_text.map(lambda s: ("text", s)), placeholders), max_size=12)
any_values = st.dictionaries(st.sampled_from(VARIABLES), st.text(max_size=30) | st.integers())


def _source(parts: list[Any]) -> str:
    return "".join(p[1] if p[0] == "text" else p[2] for p in parts)


def _reference(parts: list[Any], values: dict[str, Any]) -> str:
    out = []
    for p in parts:
        if p[0] == "text":
            out.append(p[1])
            continue
        value = values.get(p[0])
        text = "" if value is None else str(value)
        out.append(text if text.strip() else (p[1] or "").strip())
    return "".join(out)


@settings(max_examples=300)
@given(pieces)
def test_templates_round_trip(parts: list[Any]) -> None:
    source = _source(parts)
    if not source.strip():
        return
    t = r.parse_template(source, field="b")
    rebuilt = "".join(s if isinstance(s, str) else s.source for s in t.segments)
    assert rebuilt == source
    assert set(t.variables) == {p[0] for p in parts if p[0] != "text"}


@settings(max_examples=300)
@given(pieces, any_values)
def test_rendering_is_plain_substitution(parts: list[Any], values: dict[str, Any]) -> None:
    source = _source(parts)
    if not source.strip():
        return
    assert r.render(r.parse_template(source, field="b"), values) == _reference(parts, values)


@given(
    st.sampled_from(
        [
            "{{ticket.number}}",
            "{{contact.name|x}}",
            "{% for x in y %}",
            "{{ 7*7 }}",
            "__import__('os').system('id')",
            "${ticket.number}",
        ]
    ),
    st.sampled_from(VARIABLES),
)
def test_a_value_is_never_evaluated_nor_substituted_again(payload: str, name: str) -> None:
    t = r.parse_template("A{{" + name + "}}B", field="b")
    assert r.render(t, {"ticket.number": 1, name: payload}) == f"A{payload}B"


@given(plain_text)
def test_text_without_placeholders_renders_as_itself(text: str) -> None:
    if not text.strip():
        return
    assert r.render(r.parse_template(text, field="b"), {"ticket.number": 1}) == text


# ------------------------------------------------------------------------------ actions


def action(kind: str, value: Any, path: str = "actions[0]") -> Action:
    return r.parse_action({"type": kind, "value": value}, path)


def refused(raw: Any, path: str = "actions[1]") -> InvalidRule:
    with pytest.raises(InvalidRule) as err:
        r.parse_action(raw, path)
    return err.value


def test_actions_are_checked_and_normalised() -> None:
    assert action("set_queue", 3) == Action(ActionType.SET_QUEUE, 3)
    assert action("set_priority", "URGENT").value == "urgent"
    assert action("set_status", "pending_customer").value == "pending_customer"
    assert action("add_tags", [" Prime ", "vip", "prime"]).value == ("prime", "vip")
    assert action("set_tags", []).value == ()
    assert action("set_assignee", None).value is None
    assert action("notify_telegram", {"chat_id": -100123, "text": "oi"}).value == (
        r.TelegramNotice("-100123", r.parse_template("oi", field="x"))
    )
    email = action("notify_email", {"to": ["Ana@Loja.com.br", "assignee", "assignee"]}).value
    assert isinstance(email, r.EmailNotice)
    assert email.to == ("ana@loja.com.br", "assignee")
    assert action("notify_email", {"to": "supervisors"}).value.to == ("supervisors",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"type": "set_qeue", "value": 1}, "actions[1].type", "did you mean 'set_queue'"),
        ({"type": "set_queue", "value": "3"}, "actions[1].value", "positive id"),
        ({"type": "set_queue", "value": True}, "actions[1].value", "positive id"),
        ({"type": "set_queue", "value": 0}, "actions[1].value", "positive id"),
        ({"type": "set_queue", "valeu": 1}, "actions[1].valeu", "did you mean 'value'"),
        ({"type": "set_status", "value": "new"}, "actions[1].value", "not a valid status"),
        ({"type": "set_priority", "value": "alta"}, "actions[1].value", "not a valid priority"),
        ({"type": "add_tags", "value": "prime"}, "actions[1].value", "list of tags"),
        ({"type": "add_tags", "value": []}, "actions[1].value", "at least one tag"),
        ({"type": "add_tags", "value": ["ok", ""]}, "actions[1].value[1]", "non-empty"),
        ({"type": "add_note", "value": "{{x.y}}"}, "actions[1].value", "unknown variable"),
        ({"type": "transfer", "value": {"queue_id": 2}}, "actions[1].value.reason", "required"),
        (
            {"type": "transfer", "value": {"queue_id": 2, "reason": "r", "to": 1}},
            "actions[1].value.to",
            "unknown key",
        ),
        (
            {"type": "transfer", "value": {"queue_id": 2, "reason": "{{contact.nome}}"}},
            "actions[1].value.reason",
            "unknown variable",
        ),
        (
            {"type": "notify_email", "value": {"to": ["not-an-email"]}},
            "actions[1].value.to[0]",
            "neither an e-mail",
        ),
        (
            {"type": "notify_email", "value": {"to": "everyone"}},
            "actions[1].value.to",
            "list of e-mail addresses",
        ),
        ({"type": "notify_email", "value": {"to": []}}, "actions[1].value.to", "at least one"),
        (
            {"type": "notify_email", "value": {"to": ["a@b.co"], "subject": "{{ticket}}"}},
            "actions[1].value.subject",
            "malformed",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "ftp://x.test/h"}},
            "actions[1].value.url",
            "https://",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https://user:pw@x.test/h"}},
            "actions[1].value.url",
            "no credentials",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https:///h"}},
            "actions[1].value.url",
            "no host",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https://x .test/h"}},
            "actions[1].value.url",
            "spaces",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https://x.test:99999/"}},
            "actions[1].value.url",
            "not a valid URL",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https://exa_mple!.test/"}},
            "actions[1].value.url",
            "not a valid host",
        ),
        (
            {"type": "notify_webhook", "value": {"url": "https://x.test", "secret": ""}},
            "actions[1].value.secret",
            "non-empty",
        ),
        (
            {"type": "notify_telegram", "value": {"chat_id": "grupo", "text": "x"}},
            "actions[1].value.chat_id",
            "Telegram chat id",
        ),
        ("set_queue", "actions[1]", "an action is an object"),
    ],
)
def test_bad_actions_name_their_path(raw: Any, field: str, message: str) -> None:
    err = refused(raw)
    assert err.field == field
    assert message in err.message


def test_urls_that_are_sound() -> None:
    for url in (
        "https://hooks.loja.test/atende?x=1",
        "http://127.0.0.1:8080/h",
        "https://[::1]:8443/h",
        "https://intranet/h",
    ):
        assert r.check_url(url, "u") == url


SAMPLE_ACTIONS: list[dict[str, Any]] = [
    {"type": "set_queue", "value": 3},
    {"type": "set_priority", "value": "high"},
    {"type": "set_status", "value": "open"},
    {"type": "set_type", "value": "incident"},
    {"type": "add_tags", "value": ["a", "b"]},
    {"type": "remove_tags", "value": ["c"]},
    {"type": "set_tags", "value": []},
    {"type": "set_assignee", "value": 9},
    {"type": "set_assignee", "value": None},
    {"type": "add_note", "value": "Nota de {{contact.name}}"},
    {"type": "send_canned_reply", "value": 4},
    {"type": "transfer", "value": {"queue_id": 5, "reason": "Motivo"}},
    {"type": "notify_email", "value": {"to": ["requester"], "subject": "S", "text": "T"}},
    {"type": "notify_email", "value": {"to": ["a@b.co"]}},
    {"type": "notify_webhook", "value": {"url": "https://h.test/x", "secret": "s"}},
    {"type": "notify_webhook", "value": {"url": "https://h.test/x"}},
    {"type": "notify_telegram", "value": {"chat_id": "@canal_atende", "text": "oi"}},
]


@pytest.mark.parametrize("raw", SAMPLE_ACTIONS, ids=lambda a: a["type"])
def test_actions_round_trip_through_their_json(raw: dict[str, Any]) -> None:
    parsed = r.parse_action(raw, "a")
    assert r.action_to_json(parsed) == raw
    assert r.parse_action(r.action_to_json(parsed), "a") == parsed
    assert r.describe_action(parsed)


# ------------------------------------------------------------------------------ rules


def rule(**data: Any) -> r.Rule:
    body = {
        "name": "R",
        "event": "ticket_created",
        "actions": [{"type": "set_queue", "value": 1}],
        **data,
    }
    return r.parse_rule(body, rule_id=data.pop("id", None))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": " "}, "name", "non-empty"),
        ({"event": "ticket_closed"}, "event", "unknown event"),
        (
            {"conditions": {"all": [{"field": "ticket.sttus", "op": "eq", "value": "open"}]}},
            "conditions.all[0].field",
            "did you mean 'ticket.status'",
        ),
        (
            {"conditions": {"all": [{"field": "message.text", "op": "gt", "value": 3}]}},
            "conditions.all[0].op",
            "not valid for string",
        ),
        ({"actions": []}, "actions", "at least one action"),
        (
            {"actions": [{"type": "set_queue", "value": 1}, {"type": "nope"}]},
            "actions[1].type",
            "unknown action type",
        ),
        ({"event": "time_based"}, "time", "needs"),
        ({"time": {"status": "open", "business_hours": 3}}, "time", "only for time_based"),
        (
            {"event": "time_based", "time": {"status": "closed", "business_hours": 3}},
            "time.status",
            "not a valid status",
        ),
        (
            {"event": "time_based", "time": {"status": "open", "business_hours": 1.5}},
            "time.business_hours",
            "whole number",
        ),
        (
            {"event": "time_based", "time": {"status": "open", "business_hours": 0}},
            "time.business_hours",
            "whole number",
        ),
        ({"position": -1}, "position", "≥ 0"),
    ],
)
def test_bad_rules_name_their_path(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(
        cond.InvalidCondition if field.startswith("conditions") else InvalidRule
    ) as err:
        rule(**data)
    assert err.value.field == field
    assert message in err.value.message


def test_rule_fields_add_the_message_and_business_hours() -> None:
    parsed = rule(
        conditions={
            "all": [
                {"field": "message.text", "op": "matches", "value": "cancel(ar|amento)"},
                {"field": "message.channel", "op": "in", "value": ["chat", "whatsapp"]},
                {"field": "ticket.in_business_hours", "op": "eq", "value": True},
                {"field": "ticket.business_hours_in_status", "op": "gte", "value": 4},
            ]
        }
    )
    assert r.fields_used(parsed.condition) == {
        "message.text",
        "message.channel",
        "ticket.in_business_hours",
        "ticket.business_hours_in_status",
    }
    again = r.parse_rule(r.rule_to_json(parsed))
    assert again == parsed


rule_keys = st.lists(
    st.tuples(st.integers(0, 5), st.booleans(), st.sampled_from(["ticket_created", "sla_breach"])),
    max_size=12,
)


@given(rule_keys)
def test_run_order_is_position_then_id_among_active_rules_of_the_event(keys: list[Any]) -> None:
    rules = [
        r.Rule(i + 1, f"R{i}", r.Event(ev), cond.ALWAYS, (), pos, active)
        for i, (pos, active, ev) in enumerate(keys)
    ]
    chosen = r.applicable(reversed(rules), "ticket_created")
    expected = sorted(
        (x for x in rules if x.active and x.event == "ticket_created"),
        key=lambda x: (x.position, x.id),
    )
    assert chosen == expected


def test_a_time_trigger_comes_before_the_conditions() -> None:
    t = rule(
        event="time_based",
        time={"status": "pending_customer", "business_hours": 24},
        conditions={"all": [{"field": "organization.plan", "op": "eq", "value": "Prime"}]},
    )
    facts = {
        "ticket.status": "pending_customer",
        "ticket.business_hours_in_status": 30.25,
        "organization.plan": "Prime",
    }
    assert r.judge(t, facts) == r.Verdict(
        True, "pending_customer for 30.2 business hours (≥ 24) and organization.plan = Prime"
    )
    assert not r.judge(t, {**facts, "ticket.status": "open"}).matched
    low = r.judge(t, {**facts, "ticket.business_hours_in_status": 3})
    assert low == r.Verdict(False, "pending_customer for 3 business hours, less than 24")


# ------------------------------------------------------------------------------ operations


def test_field_actions_become_one_update_where_the_first_of_them_was() -> None:
    actions = r.parse_actions(
        [
            {"type": "add_note", "value": "antes"},
            {"type": "add_tags", "value": ["a"]},
            {"type": "notify_email", "value": {"to": "assignee"}},
            {"type": "set_queue", "value": 2},
            {"type": "remove_tags", "value": ["z"]},
            {"type": "set_queue", "value": 3},
        ]
    )
    ops = r.operations(actions)
    assert [type(op).__name__ for op in ops] == ["Single", "Update", "Single"]
    update = ops[1]
    assert isinstance(update, Update)
    assert update.queue_id == 3  # the later one wins
    assert update.indices == (1, 3, 4, 5)
    changes, notes = r.effective_changes(
        update, {"ticket.tags": ["z", "y"], "ticket.queue_id": 1, "ticket.status": "open"}
    )
    assert changes == {"queue_id": 3, "tags": ["a", "y"]}
    assert notes == []


@given(
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from([ActionType.ADD_TAGS, ActionType.REMOVE_TAGS, ActionType.SET_TAGS]),
            st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3),
        ),
        max_size=5,
    ),
)
def test_tag_actions_compose_in_order(current: list[str], ops: list[Any]) -> None:
    tags = set(current)
    for kind, values in ops:
        tags = (
            set(values)
            if kind is ActionType.SET_TAGS
            else (tags | set(values) if kind is ActionType.ADD_TAGS else tags - set(values))
        )
    assert r.apply_tag_ops(current, [(k, tuple(v)) for k, v in ops]) == sorted(tags)


def test_effective_changes_skip_what_is_already_so_and_explain_refusals() -> None:
    facts = {"ticket.status": "resolved", "ticket.priority": "high", "ticket.queue_id": 2}
    update = Update(priority="high", queue_id=2, status="pending_customer")
    changes, notes = r.effective_changes(update, facts)
    assert changes == {}
    assert notes == [
        "status stays resolved: reopen the ticket ('open') before waiting on the customer"
    ]
    assert r.effective_changes(Update(priority="high"), facts) == ({}, ["nothing to change"])
    closed = r.effective_changes(Update(priority="low"), {"ticket.status": "closed"})
    assert closed == ({}, ["the ticket is closed: its fields stay as they are"])


# ------------------------------------------------------------------------------ dry-run


def tag_rule(i: int, needs: str, adds: str, event: str = "ticket_updated") -> r.Rule:
    return r.parse_rule(
        {
            "name": f"R{i}",
            "event": event,
            "position": i,
            "conditions": {"all": [{"field": "ticket.tags", "op": "contains", "value": needs}]},
            "actions": [{"type": "add_tags", "value": [adds]}],
        },
        rule_id=i,
    )


def test_simulation_follows_the_cascade_and_changes_the_facts() -> None:
    queue_rule = r.parse_rule(
        {
            "name": "Fila",
            "event": "ticket_created",
            "actions": [{"type": "set_queue", "value": 7}, {"type": "add_tags", "value": ["x"]}],
        },
        rule_id=10,
    )
    follow = r.parse_rule(
        {
            "name": "Depois",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "ticket.queue", "op": "eq", "value": "Financeiro"}]},
            "actions": [{"type": "notify_email", "value": {"to": "supervisors"}}],
        },
        rule_id=11,
    )
    steps = r.simulate(
        [follow, queue_rule],
        {"ticket.status": "new", "ticket.tags": []},
        "ticket_created",
        names=Names(queues={7: "Financeiro"}),
    )
    assert [(s.depth, s.event, s.rule_name, s.matched) for s in steps] == [
        (1, "ticket_created", "Fila", True),
        (2, "ticket_updated", "Depois", True),
    ]
    assert steps[0].planned == ("queue → Financeiro (queue 7)", "tags → [x]")
    assert steps[1].planned == ("e-mail supervisors",)
    assert steps[0].effects == (
        r.Effect("change", field="queue_id", value=7),
        r.Effect("change", field="tags", value=["x"]),
    )
    assert steps[1].effects == (r.Effect("action", index=0),)
    # on a closed ticket: the fields stay, the note and the transfer are not done
    closing = r.parse_rule(
        {
            "name": "Fechado",
            "event": "ticket_updated",
            "actions": [
                {"type": "set_priority", "value": "high"},
                {"type": "add_note", "value": "Oi"},
                {"type": "transfer", "value": {"queue_id": 7, "reason": "Motivo"}},
            ],
        },
        rule_id=12,
    )
    [closed] = r.simulate([closing], {"ticket.status": "closed"}, "ticket_updated")
    assert closed.effects == (
        r.Effect("note", why="the ticket is closed: its fields stay as they are"),
        r.Effect("skipped", index=1, why="closed"),
        r.Effect("skipped", index=2, why="closed"),
    )


def test_simulation_stops_ping_pong_and_deep_chains_like_the_engine() -> None:
    ping = r.parse_rule(
        {
            "name": "A",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "ticket.tags", "op": "contains", "value": "a"}]},
            "actions": [{"type": "set_tags", "value": ["b"]}],
        },
        rule_id=1,
    )
    pong = r.parse_rule(
        {
            "name": "B",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "ticket.tags", "op": "contains", "value": "b"}]},
            "actions": [{"type": "set_tags", "value": ["a"]}],
        },
        rule_id=2,
    )
    steps = r.simulate([ping, pong], {"ticket.tags": ["a"]}, "ticket_updated")
    assert [(s.depth, s.rule_name, s.skipped) for s in steps if s.matched] == [
        (1, "A", None),
        (2, "B", None),
        (3, "A", r.LOOP_GUARD_TEXT),
    ]
    chain = [tag_rule(i, f"t{i}", f"t{i + 1}") for i in range(1, 8)]
    deep = r.simulate(chain, {"ticket.tags": ["t1"]}, "ticket_updated")
    [stop] = [s for s in deep if s.skipped and s.skipped.startswith("automation stopped")]
    assert stop.depth == 6
    assert "(R1 → R2 → R3 → R4 → R5)" in stop.skipped
    ran = [s.rule_name for s in deep if s.matched and s.skipped is None]
    assert ran == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]


def test_simulation_judges_every_condition_on_its_own_with_the_facts_of_its_level() -> None:
    rule = r.parse_rule(
        {
            "name": "Cancelamento",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    {"any": [
                        {"field": "ticket.type", "op": "eq", "value": "cancellation"},
                        {"field": "message.text", "op": "matches", "value": "cancelar"},
                    ]},
                    {"field": "organization.system_blocked", "op": "ne", "value": True},
                    {"field": "ticket.tags", "op": "contains", "value": "vip"},
                ]
            },
            "actions": [{"type": "add_tags", "value": ["c"]}],
        },
        rule_id=1,
    )  # fmt: skip
    facts = {"ticket.tags": ["vip"], "ticket.type": None}
    [step] = r.simulate(
        [rule], facts, "ticket_created", message_facts={"message.text": "Quero cancelar"}
    )
    assert step.matched
    seen = [(c.leaf.field, c.holds, c.fact, c.depth, c.group) for c in step.checks]
    assert seen == [
        ("ticket.type", False, None, 2, "any"),  # not set: shown as None
        ("message.text", True, "Quero cancelar", 2, "any"),
        ("organization.system_blocked", True, None, 1, "all"),
        ("ticket.tags", True, ("vip",), 1, "all"),
    ]
    # a failing group still lists every leaf (nothing short-circuits the per-condition view)
    [refused] = r.simulate([rule], {"ticket.tags": []}, "ticket_created")
    assert not refused.matched
    assert [c.holds for c in refused.checks] == [False, False, True, False]
    # a rule without conditions has nothing to check; a lone leaf sits in the root group
    assert cond.leaf_checks(cond.ALWAYS, facts) == ()
    leaf = cond.validate({"field": "ticket.tags", "op": "is_set"}, r.RULE_FIELDS)
    [only] = cond.leaf_checks(leaf, facts)
    assert (only.holds, only.depth, only.group) == (True, 1, "all")


def test_message_facts_only_reach_the_first_level() -> None:
    by_text = r.parse_rule(
        {
            "name": "T",
            "event": "ticket_updated",
            "conditions": {"all": [{"field": "message.text", "op": "contains", "value": "oi"}]},
            "actions": [{"type": "add_tags", "value": ["t"]}],
        },
        rule_id=1,
    )
    opener = r.parse_rule(
        {
            "name": "O",
            "event": "message_received",
            "actions": [{"type": "add_tags", "value": ["o"]}],
        },
        rule_id=2,
    )
    steps = r.simulate(
        [by_text, opener],
        {"ticket.tags": []},
        "message_received",
        message_facts={"message.text": "oi"},
    )
    assert [(s.rule_name, s.matched) for s in steps] == [("O", True), ("T", False)]


def test_time_based_rules_already_fired_are_reported() -> None:
    t = r.parse_rule(
        {
            "name": "Lembrete",
            "event": "time_based",
            "time": {"status": "pending_customer", "business_hours": 1},
            "actions": [{"type": "add_tags", "value": ["x"]}],
        },
        rule_id=5,
    )
    facts = {"ticket.status": "pending_customer", "ticket.business_hours_in_status": 2}
    [step] = r.simulate([t], facts, "time_based", already_fired={5})
    assert step.skipped == "already fired in this status period"
    [step] = r.simulate([t], facts, "time_based")
    assert step.planned == ("tags → [x]",)
