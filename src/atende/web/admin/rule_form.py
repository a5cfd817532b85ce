"""The automation rule as a form: rows of conditions and actions chosen from selects and inputs,
turned into the rule JSON the API takes (``POST /api/v1/rules``) and back (decision 0025).

The form shows a condition tree of two levels: the rule's root group (all / any) holding
conditions and up to :data:`GROUPS` nested groups of conditions. That covers every rule of the
demo's playbook; a rule stored through the API with deeper nesting keeps its conditions as they
are (the page says so and edits the rest). Values are typed as text: lists separated by commas,
yes/no for true/false, numbers as numbers; the domain checks the result as it checks the API's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.datastructures import FormData

from atende.domain import conditions as cond
from atende.domain import rules as rules_domain
from atende.domain.errors import ValidationFailed
from atende.web.admin.forms import form_text
from atende.web.i18n import N_, _
from atende.web.templating import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS

GROUPS: Final = ("A", "B", "C")
MAX_CONDITIONS: Final = cond.MAX_LEAVES
MAX_ACTIONS: Final = rules_domain.MAX_ACTIONS
BLANK_ROWS: Final = 2
MAX_TEXT: Final = rules_domain.MAX_TEMPLATE_LENGTH

EVENT_LABELS: Final = {
    "ticket_created": N_("A ticket is created"),
    "ticket_updated": N_("A ticket is changed"),
    "message_received": N_("The customer writes"),
    "message_sent": N_("An agent replies publicly"),
    "sla_warning": N_("An SLA target is about to be breached"),
    "sla_breach": N_("An SLA target is breached"),
    "time_based": N_("Time spent in a status"),
}
FIELD_LABELS: Final = {
    "ticket.status": N_("Ticket: status"),
    "ticket.priority": N_("Ticket: priority"),
    "ticket.type": N_("Ticket: type"),
    "ticket.channel": N_("Ticket: channel"),
    "ticket.queue": N_("Ticket: queue (name)"),
    "ticket.queue_id": N_("Ticket: queue (number)"),
    "ticket.tags": N_("Ticket: tags"),
    "ticket.subject": N_("Ticket: subject"),
    "ticket.assignee_id": N_("Ticket: assignee (number)"),
    "ticket.created_at": N_("Ticket: created at"),
    "ticket.in_business_hours": N_("Ticket: within business hours now"),
    "ticket.business_hours_in_status": N_("Ticket: business hours in its status"),
    "organization.name": N_("Organization: name"),
    "organization.plan": N_("Organization: plan"),
    "organization.key_account": N_("Organization: key account"),
    "organization.stores": N_("Organization: stores"),
    "organization.delinquent": N_("Organization: payment overdue"),
    "organization.system_blocked": N_("Organization: system blocked"),
    "contact.email": N_("Contact: e-mail"),
    "contact.role": N_("Contact: role"),
    "contact.name": N_("Contact: name"),
    "message.text": N_("Message: text"),
    "message.channel": N_("Message: channel"),
    "message.author": N_("Message: author"),
}
CUSTOM: Final = "custom"
OP_LABELS: Final = {
    "eq": N_("is"),
    "ne": N_("is not"),
    "in": N_("is one of"),
    "not_in": N_("is none of"),
    "contains": N_("contains"),
    "not_contains": N_("does not contain"),
    "contains_any": N_("contains any of"),
    "starts_with": N_("starts with"),
    "matches": N_("matches the pattern"),
    "gt": N_("is greater than"),
    "gte": N_("is at least"),
    "lt": N_("is less than"),
    "lte": N_("is at most"),
    "is_set": N_("is filled in"),
    "is_not_set": N_("is empty"),
}
LIST_OPS: Final = frozenset({"in", "not_in", "contains_any"})
PRESENCE_OPS: Final = frozenset({"is_set", "is_not_set"})
ACTION_LABELS: Final = {
    "set_queue": N_("Move to the queue"),
    "transfer": N_("Transfer to the queue, with a reason"),
    "set_priority": N_("Set the priority"),
    "set_status": N_("Set the status"),
    "set_type": N_("Set the type"),
    "add_tags": N_("Add tags"),
    "remove_tags": N_("Remove tags"),
    "set_tags": N_("Replace the tags"),
    "set_assignee": N_("Assign to"),
    "add_note": N_("Add an internal note"),
    "send_canned_reply": N_("Send a canned reply"),
    "notify_email": N_("Send an e-mail"),
    "notify_webhook": N_("Call a webhook"),
    "notify_telegram": N_("Send a Telegram message"),
}
# Which inputs of an action row each type uses (static/admin-builder.js shows only those).
ACTION_INPUTS: Final = {
    "set_queue": ("queue",),
    "transfer": ("queue", "text"),
    "set_priority": ("priority",),
    "set_status": ("status",),
    "set_type": ("value",),
    "add_tags": ("value",),
    "remove_tags": ("value",),
    "set_tags": ("value",),
    "set_assignee": ("user",),
    "add_note": ("text",),
    "send_canned_reply": ("canned",),
    "notify_email": ("value", "subject", "text"),
    "notify_webhook": ("value", "secret"),
    "notify_telegram": ("value", "text"),
}
YES: Final = frozenset({"sim", "s", "yes", "true", "verdadeiro", "1"})
NO: Final = frozenset({"não", "nao", "n", "no", "false", "falso", "0"})
_ENUM_LABELS: Final = {**STATUS_LABELS, **PRIORITY_LABELS, **CHANNEL_LABELS}
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass
class ConditionRow:
    group: str = ""
    field: str = ""
    custom: str = ""
    op: str = "eq"
    value: str = ""


@dataclass
class ActionRow:
    type: str = ""
    queue: str = ""
    priority: str = ""
    status: str = ""
    user: str = ""
    canned: str = ""
    value: str = ""
    subject: str = ""
    text: str = ""
    secret: str = ""


@dataclass
class RuleForm:
    """What the form shows and sends back (all text, as typed)."""

    name: str = ""
    event: str = "ticket_created"
    active: bool = True
    match: str = "all"
    group_modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(GROUPS, "any"))
    conditions: list[ConditionRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    time_status: str = "pending_customer"
    time_hours: str = ""
    kept_conditions: dict[str, Any] | None = None
    """Conditions nested deeper than the form shows: kept as stored."""

    def padded(self, extra: int = BLANK_ROWS) -> RuleForm:
        """The form with ``extra`` blank rows of each kind to fill in (within the limits)."""
        conditions = self.conditions + [ConditionRow() for _ in range(extra)]
        actions = self.actions + [ActionRow() for _ in range(extra)]
        self.conditions = conditions[: max(MAX_CONDITIONS, len(self.conditions))]
        self.actions = actions[: max(MAX_ACTIONS, len(self.actions))]
        return self


class FormRefused(ValidationFailed):
    """The form cannot become a rule; ``field`` names the form's part (``c2``, ``a0``, ...)."""


# --------------------------------------------------------------------------- stored -> form


def show_value(value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, str) and value in _ENUM_LABELS:
        return _(_ENUM_LABELS[value])
    return str(value)


def _row(leaf: Mapping[str, Any], group: str) -> ConditionRow:
    name = str(leaf.get("field", ""))
    known = name in FIELD_LABELS
    return ConditionRow(
        group=group,
        field=name if known else CUSTOM,
        custom="" if known else name.removeprefix(cond.CUSTOM_FIELD_PREFIX),
        op=str(leaf.get("op", "eq")),
        value=show_value(leaf.get("value")),
    )


def _conditions_of(stored: Mapping[str, Any]) -> tuple[str, dict[str, str], list[ConditionRow]]:
    """(root mode, group modes, rows), or ValueError when the tree is deeper than the form."""
    if not stored:
        return "all", dict.fromkeys(GROUPS, "any"), []
    if "field" in stored:
        return "all", dict.fromkeys(GROUPS, "any"), [_row(stored, "")]
    kind = "any" if "any" in stored else "all"
    modes = dict.fromkeys(GROUPS, "any")
    rows: list[ConditionRow] = []
    letters = iter(GROUPS)
    for child in stored.get(kind) or []:
        if "field" in child:
            rows.append(_row(child, ""))
            continue
        letter = next(letters, None)
        sub_kind = "any" if "any" in child else "all"
        leaves = child.get(sub_kind) or []
        if letter is None or any("field" not in leaf for leaf in leaves):
            raise ValueError("nested deeper than the form shows")
        modes[letter] = sub_kind
        rows.extend(_row(leaf, letter) for leaf in leaves)
    return kind, modes, rows


def _action_row(action: Mapping[str, Any]) -> ActionRow:
    kind = str(action.get("type", ""))
    v = action.get("value")
    row = ActionRow(type=kind)
    if kind == "set_queue":
        row.queue = str(v)
    elif kind == "transfer" and isinstance(v, Mapping):
        row.queue, row.text = str(v.get("queue_id", "")), str(v.get("reason", ""))
    elif kind == "set_priority":
        row.priority = str(v)
    elif kind == "set_status":
        row.status = str(v)
    elif kind == "set_assignee":
        row.user = "" if v is None else str(v)
    elif kind == "add_note":
        row.text = str(v)
    elif kind == "send_canned_reply":
        row.canned = str(v)
    elif isinstance(v, Mapping):  # the notifications
        to = v.get("to", "")
        row.value = ", ".join(to) if isinstance(to, list) else str(to or v.get("url", ""))
        if kind == "notify_telegram":
            row.value = str(v.get("chat_id", ""))
        row.subject = str(v.get("subject") or "")
        row.text = str(v.get("text") or "")
    else:  # set_type and the tag actions
        row.value = ", ".join(v) if isinstance(v, list) else str(v or "")
    return row


def form_of_rule(stored: Mapping[str, Any]) -> RuleForm:
    """The form showing a stored rule (``rules_service.rule_view``); a webhook's secret is
    never shown back (left blank, it is kept)."""
    time = stored.get("time") or {}
    form = RuleForm(
        name=str(stored.get("name", "")),
        event=str(stored.get("event", "ticket_created")),
        active=bool(stored.get("active", True)),
        actions=[_action_row(a) for a in stored.get("actions") or []],
        time_status=str(time.get("status", "pending_customer")),
        time_hours=str(time.get("business_hours", "")),
    )
    conditions = stored.get("conditions") or {}
    try:
        form.match, form.group_modes, form.conditions = _conditions_of(conditions)
    except ValueError:
        form.kept_conditions = dict(conditions)
    return form


# ----------------------------------------------------------------------------- post -> form


def form_of_post(data: FormData, *, kept_conditions: dict[str, Any] | None = None) -> RuleForm:
    """The form as sent (indexed fields ``c<i>_field``, ``a<i>_type``...), each value cut to
    its limit; rows left blank are dropped."""
    form = RuleForm(
        name=form_text(data, "name", 120),
        event=form_text(data, "event", 40),
        active=form_text(data, "active") == "true",
        match="any" if form_text(data, "match") == "any" else "all",
        group_modes={g: "all" if form_text(data, f"group_{g}") == "all" else "any" for g in GROUPS},
        time_status=form_text(data, "time_status", 40),
        time_hours=form_text(data, "time_hours", 20),
        kept_conditions=kept_conditions,
    )
    for i in range(MAX_CONDITIONS):
        row = ConditionRow(
            group=form_text(data, f"c{i}_group", 2),
            field=form_text(data, f"c{i}_field", 80),
            custom=form_text(data, f"c{i}_custom", 64),
            op=form_text(data, f"c{i}_op", 20),
            value=form_text(data, f"c{i}_value", 2000),
        )
        if row.field:
            form.conditions.append(row)
    for i in range(MAX_ACTIONS):
        act = ActionRow(
            type=form_text(data, f"a{i}_type", 40),
            queue=form_text(data, f"a{i}_queue", 20),
            priority=form_text(data, f"a{i}_priority", 20),
            status=form_text(data, f"a{i}_status", 20),
            user=form_text(data, f"a{i}_user", 20),
            canned=form_text(data, f"a{i}_canned", 20),
            value=form_text(data, f"a{i}_value", rules_domain.MAX_URL_LENGTH),
            subject=form_text(data, f"a{i}_subject", 500),
            text=form_text(data, f"a{i}_text", MAX_TEXT),
            secret=form_text(data, f"a{i}_secret", 200),
        )
        if act.type:
            form.actions.append(act)
    return form


# ------------------------------------------------------------------------------ form -> rule


def _enum_code(text: str) -> str:
    for code, label in _ENUM_LABELS.items():
        if text.casefold() in (code.casefold(), _(label).casefold()):
            return code
    return text


def _scalar(text: str, kind: cond.FieldType) -> Any:
    folded = text.casefold()
    if kind in (cond.FieldType.BOOLEAN, cond.FieldType.ANY):
        if folded in YES:
            return True
        if folded in NO:
            return False
    if kind in (cond.FieldType.NUMBER, cond.FieldType.ANY):
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if kind is cond.FieldType.ENUM:
        return _enum_code(text)
    return text


def _leaf(row: ConditionRow, key: str) -> dict[str, Any]:
    name = row.field
    if name == CUSTOM:
        if not row.custom:
            raise FormRefused(N_("write the custom field's key"), field=key)
        name = cond.CUSTOM_FIELD_PREFIX + row.custom
    definition = rules_domain.RULE_FIELDS.get(name)
    if definition is None:
        raise FormRefused(N_("unknown field {name!r}"), field=key, name=name)
    leaf: dict[str, Any] = {"field": name, "op": row.op}
    if row.op in PRESENCE_OPS:
        return leaf
    if row.op in LIST_OPS:
        items = [part.strip() for part in row.value.split(",") if part.strip()]
        leaf["value"] = [_scalar(item, definition.type) for item in items]
    elif row.op == "matches" or definition.type is cond.FieldType.LIST:
        leaf["value"] = row.value
    else:
        leaf["value"] = _scalar(row.value, definition.type)
    return leaf


def _conditions(form: RuleForm) -> tuple[dict[str, Any], dict[str, str]]:
    """(condition JSON, the JSON path of each row -> the row's key ``c<i>``)."""
    if form.kept_conditions is not None:
        return form.kept_conditions, {}
    children: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    groups: dict[str, int] = {}
    for i, row in enumerate(form.conditions):
        key = f"c{i}"
        leaf = _leaf(row, key)
        if row.group in GROUPS:
            mode = form.group_modes.get(row.group, "any")
            if row.group not in groups:
                groups[row.group] = len(children)
                children.append({mode: []})
            at = groups[row.group]
            inner = children[at][mode]
            paths[f"conditions.{form.match}[{at}].{mode}[{len(inner)}]"] = key
            inner.append(leaf)
        else:
            paths[f"conditions.{form.match}[{len(children)}]"] = key
            children.append(leaf)
    return ({form.match: children} if children else {}), paths


def _id(text: str, key: str, what: str) -> int:
    if not text.isdigit():
        raise FormRefused(N_("choose {what}"), field=key, what=what)
    return int(text)


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _action(row: ActionRow, key: str, previous: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    kind = row.type
    if kind not in ACTION_INPUTS:
        raise FormRefused(N_("unknown action {kind!r}"), field=key, kind=kind)
    value: Any
    if kind == "set_queue":
        value = _id(row.queue, key, _("a queue"))
    elif kind == "transfer":
        value = {"queue_id": _id(row.queue, key, _("a queue")), "reason": row.text}
    elif kind == "set_priority":
        value = row.priority
    elif kind == "set_status":
        value = row.status
    elif kind == "set_assignee":
        value = _id(row.user, key, _("a person")) if row.user else None
    elif kind == "add_note":
        value = row.text
    elif kind == "send_canned_reply":
        value = _id(row.canned, key, _("a canned reply"))
    elif kind == "notify_email":
        to = _list(row.value)
        value = {"to": to[0] if len(to) == 1 and to[0] in rules_domain.NOTIFY_KEYWORDS else to}
        value.update({k: v for k, v in (("subject", row.subject), ("text", row.text)) if v})
    elif kind == "notify_webhook":
        secret = row.secret or _kept_secret(row.value, previous)
        value = {"url": row.value, **({"secret": secret} if secret else {})}
    elif kind == "notify_telegram":
        chat = int(row.value) if re.fullmatch(r"-?\d{1,20}", row.value) else row.value
        value = {"chat_id": chat, "text": row.text}
    elif kind == "set_type":
        value = row.value
    else:  # the tag actions
        value = _list(row.value)
    return {"type": kind, "value": value}


def _kept_secret(url: str, previous: Sequence[Mapping[str, Any]]) -> str | None:
    """A webhook's stored secret, kept when the form leaves it blank (it is never shown)."""
    for action in previous:
        v = action.get("value")
        if action.get("type") != "notify_webhook" or not isinstance(v, Mapping):
            continue
        if v.get("url") == url and v.get("secret"):
            return str(v["secret"])
    return None


@dataclass(frozen=True)
class Built:
    data: dict[str, Any]
    paths: dict[str, str]
    """The JSON path of each condition row -> the row's key, to place the domain's errors."""


def rule_data(form: RuleForm, *, previous: Sequence[Mapping[str, Any]] = ()) -> Built:
    """The rule JSON of the form (the API's shape), or FormRefused naming the form's part."""
    conditions, paths = _conditions(form)
    actions = [_action(row, f"a{i}", previous) for i, row in enumerate(form.actions)]
    if not actions:
        raise FormRefused(N_("choose at least one action"), field="actions")
    data: dict[str, Any] = {
        "name": form.name,
        "event": form.event,
        "active": form.active,
        "conditions": conditions,
        "actions": actions,
        "time": None,
    }
    if form.event == "time_based":
        if not form.time_hours.isdigit():
            raise FormRefused(
                N_("write the business hours as a whole number"), field="time.business_hours"
            )
        data["time"] = {"status": form.time_status, "business_hours": int(form.time_hours)}
    return Built(data, paths)


def place(error_field: str | None, paths: Mapping[str, str]) -> str:
    """Where a refusal goes on the form: a row (``c3``, ``a1``), a field (``name``, ``event``,
    ``time``) or the form as a whole (``form``)."""
    if not error_field:
        return "form"
    if error_field.startswith("actions["):
        found = _INDEX.search(error_field)
        return f"a{found.group(1)}" if found else "actions"
    if error_field.startswith("conditions"):
        for path in sorted(paths, key=len, reverse=True):
            if error_field == path or error_field.startswith((path + ".", path + "[")):
                return paths[path]
        return "conditions"
    if error_field.startswith("time"):
        return "time"
    if error_field in ("name", "event", "active") or error_field[0] in "ca":
        return error_field
    return "form"
