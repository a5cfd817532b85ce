"""Automation rules, pure: their JSON shape, templates, and what an ordered list of rules does.

A rule is data: ``{"name", "active", "position", "event", "conditions", "actions", "time"}``.
``conditions`` use the condition language of :mod:`atende.domain.conditions` over
:data:`RULE_FIELDS`; ``actions`` is an ordered list of ``{"type": ..., "value": ...}``. Rules of
an event run in ``(position, id)`` order; every matching rule runs (there is no "stop").

How a rule's actions run (the engine and the dry-run both follow :func:`operations`): the field
changes of a rule (queue, priority, status, type, assignee, tags) are applied together as one
ticket update, at the place of the first of them; each ``transfer`` is a ticket update of its
own; notes, canned replies and notifications follow in their order. Every ticket update raises
``ticket_updated``, which runs the rules again one level deeper: :data:`MAX_CASCADE_DEPTH`
levels at most, and a rule never runs twice for one ticket in one cascade.

Templates (canned replies, notes, notifications) are text with ``{{variable}}`` placeholders
(``{{contact.first_name|cliente}}`` gives a fallback): one pass of plain substitution from
:data:`TEMPLATE_VARIABLES`, never evaluation; an unknown variable is refused when saved.

The modules, by use case (none imports a later one): :mod:`.vocabulary` (events, action types,
fields, limits, errors), :mod:`.templates`, :mod:`.schema` (a rule's JSON shape and its
validation), :mod:`.judge` (run order, does a rule apply), :mod:`.plan` (what its actions become),
:mod:`.describe` (readable text) and :mod:`.simulate` (the dry-run). This package re-exports their
public names.
"""

from __future__ import annotations

from atende.domain.rules.describe import (
    Names,
    describe_action,
    describe_changes,
)
from atende.domain.rules.judge import (
    Verdict,
    applicable,
    judge,
)
from atende.domain.rules.plan import (
    Operation,
    Single,
    Update,
    apply_changes,
    apply_tag_ops,
    effective_changes,
    operations,
    would_act,
)
from atende.domain.rules.schema import (
    Action,
    ActionValue,
    EmailNotice,
    Note,
    Rule,
    TelegramNotice,
    TimeTrigger,
    Transfer,
    Webhook,
    action_to_json,
    check_url,
    fields_used,
    parse_action,
    parse_actions,
    parse_rule,
    parse_time,
    rule_to_json,
)
from atende.domain.rules.simulate import (
    IDLE_TEXT,
    LOOP_GUARD_TEXT,
    Effect,
    Step,
    depth_stop_text,
    simulate,
)
from atende.domain.rules.templates import (
    TEMPLATE_VARIABLES,
    Placeholder,
    Segment,
    Template,
    parse_template,
    render,
    template_variables,
)
from atende.domain.rules.vocabulary import (
    ACTION_TYPES,
    BUSINESS_FACTS,
    EVENTS,
    FIELD_ACTIONS,
    MAX_ACTIONS,
    MAX_BUSINESS_HOURS,
    MAX_CASCADE_DEPTH,
    MAX_FALLBACK_LENGTH,
    MAX_ID,
    MAX_PLACEHOLDERS,
    MAX_RECIPIENTS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TEMPLATE_LENGTH,
    MAX_URL_LENGTH,
    MESSAGE_EVENTS,
    NOTIFY_KEYWORDS,
    RULE_FIELDS,
    TAG_ACTIONS,
    ActionType,
    Event,
    InvalidRule,
    InvalidTemplate,
)

__all__ = [
    "ACTION_TYPES",
    "BUSINESS_FACTS",
    "EVENTS",
    "FIELD_ACTIONS",
    "IDLE_TEXT",
    "LOOP_GUARD_TEXT",
    "MAX_ACTIONS",
    "MAX_BUSINESS_HOURS",
    "MAX_CASCADE_DEPTH",
    "MAX_FALLBACK_LENGTH",
    "MAX_ID",
    "MAX_PLACEHOLDERS",
    "MAX_RECIPIENTS",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TEMPLATE_LENGTH",
    "MAX_URL_LENGTH",
    "MESSAGE_EVENTS",
    "NOTIFY_KEYWORDS",
    "RULE_FIELDS",
    "TAG_ACTIONS",
    "TEMPLATE_VARIABLES",
    "Action",
    "ActionType",
    "ActionValue",
    "Effect",
    "EmailNotice",
    "Event",
    "InvalidRule",
    "InvalidTemplate",
    "Names",
    "Note",
    "Operation",
    "Placeholder",
    "Rule",
    "Segment",
    "Single",
    "Step",
    "TelegramNotice",
    "Template",
    "TimeTrigger",
    "Transfer",
    "Update",
    "Verdict",
    "Webhook",
    "action_to_json",
    "applicable",
    "apply_changes",
    "apply_tag_ops",
    "check_url",
    "depth_stop_text",
    "describe_action",
    "describe_changes",
    "effective_changes",
    "fields_used",
    "judge",
    "operations",
    "parse_action",
    "parse_actions",
    "parse_rule",
    "parse_template",
    "parse_time",
    "render",
    "rule_to_json",
    "simulate",
    "template_variables",
    "would_act",
]
