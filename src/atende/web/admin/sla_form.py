"""The SLA policy form of ``/admin/sla`` and the API body it stands for, both ways: conditions
as rows of field / operator / value, each target in minutes or hours with its clock and its
private (stricter) twin, pauses, escalation and auto-close as plain fields (no JSON)."""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import Annotated, Any

from fastapi import Form

from atende.domain import conditions as cond
from atende.sla.policies import SLA_FIELDS, TARGET_KINDS
from atende.web.admin import forms
from atende.web.i18n import N_, _
from atende.web.templating import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS

Text = Annotated[str, Form(max_length=forms.TEXT_LIMIT)]
Many = Annotated[list[str], Form(max_length=200)]

FIELD_LABELS = {
    "ticket.status": N_("Ticket status"),
    "ticket.priority": N_("Ticket priority"),
    "ticket.type": N_("Ticket type"),
    "ticket.channel": N_("Channel"),
    "ticket.queue": N_("Queue (name)"),
    "ticket.queue_id": N_("Queue (number)"),
    "ticket.tags": N_("Tags"),
    "ticket.subject": N_("Subject"),
    "ticket.assignee_id": N_("Assignee (number)"),
    "ticket.created_at": N_("Created at"),
    "organization.name": N_("Organization"),
    "organization.plan": N_("Organization's plan"),
    "organization.key_account": N_("Key account"),
    "organization.stores": N_("Number of stores"),
    "organization.delinquent": N_("Payments overdue"),
    "organization.system_blocked": N_("System blocked"),
    "contact.email": N_("Contact's e-mail"),
    "contact.role": N_("Contact's role"),
    "contact.name": N_("Contact's name"),
}
OP_LABELS = {
    "eq": N_("is"),
    "ne": N_("is not"),
    "in": N_("is one of"),
    "not_in": N_("is none of"),
    "contains": N_("contains"),
    "not_contains": N_("does not contain"),
    "starts_with": N_("starts with"),
    "matches": N_("matches the pattern"),
    "gt": N_("is greater than"),
    "gte": N_("is at least"),
    "lt": N_("is less than"),
    "lte": N_("is at most"),
    "is_set": N_("is filled in"),
    "is_not_set": N_("is empty"),
    "contains_any": N_("contains any of"),
}
CONTACT_ROLE_LABELS = {
    "owner": N_("Owner"),
    "focal_point": N_("Focal point"),
    "manager": N_("Manager"),
    "director": N_("Director"),
    "user": N_("User"),
}
CHOICE_LABELS = {
    "ticket.status": STATUS_LABELS,
    "ticket.priority": PRIORITY_LABELS,
    "ticket.channel": CHANNEL_LABELS,
    "contact.role": CONTACT_ROLE_LABELS,
}
"""The words a choice field's values are typed and shown in (the code is accepted too)."""
LISTS = frozenset({"in", "not_in", "contains_any"})
NO_VALUE = frozenset({"is_set", "is_not_set"})
YES = frozenset({"sim", "s", "yes", "y", "true", "verdadeiro", "1"})
NO = frozenset({"não", "nao", "n", "no", "false", "falso", "0"})
PAUSABLE = ("pending_customer", "pending_internal", "scheduled")
NOTIFY = ("assignee", "supervisors")
_HOURS = re.compile(r"^\d+([.,]\d+)?$")
_ROW = re.compile(r"^conditions\.(?:all|any)\[(\d+)\]")


def typed_policy(
    name: Text = "",
    position: Text = "",
    calendar_id: Text = "",
    match: Text = "all",
    cond_field: Many = [],  # noqa: B006 - FastAPI copies defaults
    cond_op: Many = [],  # noqa: B006
    cond_value: Many = [],  # noqa: B006
    keep_conditions: Text = "",
    first_response_value: Text = "",
    first_response_unit: Text = "min",
    first_response_clock: Text = "",
    first_response_private: Text = "",
    first_response_private_unit: Text = "min",
    next_response_value: Text = "",
    next_response_unit: Text = "min",
    next_response_clock: Text = "",
    next_response_private: Text = "",
    next_response_private_unit: Text = "min",
    resolution_value: Text = "",
    resolution_unit: Text = "min",
    resolution_clock: Text = "",
    resolution_private: Text = "",
    resolution_private_unit: Text = "min",
    warning_percent: Text = "80",
    pause_statuses: Many = [],  # noqa: B006
    chat_resolution_starts_at_chat_end: Text = "",
    public: Text = "",
    warning_raise: Text = "",
    warning_notify: Many = [],  # noqa: B006
    breach_raise: Text = "",
    breach_notify: Many = [],  # noqa: B006
    auto_close_business_hours: Text = "",
) -> dict[str, Any]:
    """The policy form as typed (strings, as the form shows them back)."""
    given = locals()
    targets = {
        kind: {
            "value": given[f"{kind}_value"].strip(),
            "unit": given[f"{kind}_unit"],
            "clock": given[f"{kind}_clock"],
            "private": given[f"{kind}_private"].strip(),
            "private_unit": given[f"{kind}_private_unit"],
        }
        for kind in TARGET_KINDS
    }
    return {
        "name": name.strip(),
        "position": position.strip(),
        "calendar_id": calendar_id,
        "match": "any" if match == "any" else "all",
        "rows": [
            [f.strip(), o.strip(), v.strip()]
            for f, o, v in zip_longest(cond_field, cond_op, cond_value, fillvalue="")
            if f.strip()
        ],
        "keep_conditions": keep_conditions == "true",
        "targets": targets,
        "warning_percent": warning_percent.strip(),
        "pause_statuses": pause_statuses,
        "chat_resolution_starts_at_chat_end": chat_resolution_starts_at_chat_end == "true",
        "public": public == "true",
        "escalation": {
            "warning": {"raise_priority": warning_raise == "true", "notify": warning_notify},
            "breach": {"raise_priority": breach_raise == "true", "notify": breach_notify},
        },
        "auto_close_business_hours": auto_close_business_hours.strip(),
    }


def body(typed: dict[str, Any]) -> dict[str, Any]:
    """The API body (``SlaPolicyIn``'s fields) the form stands for; a malformed number stays
    as typed so the schema names it beside its field."""
    out: dict[str, Any] = {
        "name": typed["name"],
        "pause_statuses": typed["pause_statuses"],
        "chat_resolution_starts_at_chat_end": typed["chat_resolution_starts_at_chat_end"],
        "public": typed["public"],
        "escalation": typed["escalation"],
        "auto_close_business_hours": typed["auto_close_business_hours"] or None,
        "target_clocks": {},
        "private_targets": {},
    }
    for key in ("position", "calendar_id", "warning_percent"):  # empty: the API's default
        if typed[key]:
            out[key] = typed[key]
    if not typed["keep_conditions"]:
        leaves = [_leaf(f, o, v) for f, o, v in typed["rows"]]
        out["conditions"] = {typed["match"]: leaves} if leaves else {}
    for kind, target in typed["targets"].items():
        out[f"{kind}_minutes"] = minutes(target["value"], target["unit"])
        out["private_targets"][f"{kind}_minutes"] = minutes(
            target["private"], target["private_unit"]
        )
        clock = target["clock"]
        if clock == "24x7":
            out["target_clocks"][kind] = {"clock": "24x7"}
        elif clock:
            out["target_clocks"][kind] = {"clock": "calendar", "calendar_id": clock}
    return out


def minutes(value: str, unit: str) -> str | int | None:
    """``"1,5"`` hours -> 90; minutes as typed (the schema checks them); empty -> None."""
    if not value:
        return None
    if unit == "h" and _HOURS.match(value):
        return round(float(value.replace(",", ".")) * 60)
    return value


def _leaf(name: str, op: str, raw: str) -> dict[str, Any]:
    leaf: dict[str, Any] = {"field": name, "op": op}
    if op in NO_VALUE:
        return leaf
    fdef = SLA_FIELDS.get(name)
    kind = fdef.type if fdef is not None else cond.FieldType.ANY
    labels = CHOICE_LABELS.get(name, {})
    if op in LISTS:
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        leaf["value"] = [_scalar(kind, _code(labels, part)) for part in parts]
    else:
        leaf["value"] = _scalar(kind, _code(labels, raw))
    return leaf


def _code(labels: dict[str, str], typed: str) -> str:
    """A choice typed as its code or as its label in the reader's language ("Urgente")."""
    wanted = typed.casefold()
    for code, label in labels.items():
        if wanted in (code.casefold(), _(label).casefold(), label.casefold()):
            return code
    return typed


def choices() -> list[tuple[str, str]]:
    """Each choice field with its values in the reader's words, for the form's help."""
    return [
        (_(FIELD_LABELS[name]), ", ".join(_(label) for label in labels.values()))
        for name, labels in CHOICE_LABELS.items()
    ]


def _scalar(kind: cond.FieldType, raw: str) -> Any:
    if kind is cond.FieldType.BOOLEAN and raw.casefold() in YES | NO:
        return raw.casefold() in YES
    if kind is cond.FieldType.NUMBER:
        try:
            return int(raw)
        except ValueError:
            try:
                return float(raw.replace(",", "."))
            except ValueError:
                return raw
    return raw


def shown(view: dict[str, Any]) -> dict[str, Any]:
    """A saved policy (``policy_view``'s shape) as the form shows it; conditions the rows
    cannot express (nested groups) are kept as they are (``keep_conditions``)."""
    conditions = view.get("conditions") or {}
    rows, match = flat(conditions)
    private = view.get("private_targets") or {}
    clocks = view.get("target_clocks") or {}
    targets = {}
    for kind in TARGET_KINDS:
        clock = clocks.get(kind) or {}
        own = "24x7" if clock.get("clock") == "24x7" else str(clock.get("calendar_id") or "")
        targets[kind] = {
            **_amount(view.get(f"{kind}_minutes"), "value", "unit"),
            **_amount(private.get(f"{kind}_minutes"), "private", "private_unit"),
            "clock": own,
        }
    escalation = view.get("escalation") or {}
    return {
        "name": view.get("name", ""),
        "position": str(view.get("position", "")),
        "calendar_id": str(view.get("calendar_id") or ""),
        "match": match,
        "rows": rows or [],
        "keep_conditions": rows is None,
        "conditions_text": view.get("conditions_text", ""),
        "targets": targets,
        "warning_percent": str(view.get("warning_percent", 80)),
        "pause_statuses": list(view.get("pause_statuses") or []),
        "chat_resolution_starts_at_chat_end": bool(view.get("chat_resolution_starts_at_chat_end")),
        "public": bool(view.get("public")),
        "escalation": {
            step: {
                "raise_priority": bool((escalation.get(step) or {}).get("raise_priority")),
                "notify": list((escalation.get(step) or {}).get("notify") or []),
            }
            for step in ("warning", "breach")
        },
        "auto_close_business_hours": str(view.get("auto_close_business_hours") or ""),
    }


def _amount(value: int | None, key: str, unit_key: str) -> dict[str, str]:
    """Minutes as the form shows them: whole hours in hours, the rest in minutes."""
    if value is None:
        return {key: "", unit_key: "min"}
    if value % 60 == 0:
        return {key: str(value // 60), unit_key: "h"}
    return {key: str(value), unit_key: "min"}


def flat(conditions: dict[str, Any]) -> tuple[list[list[str]] | None, str]:
    """Conditions as rows (field, op, value) and "all"/"any", or None for rows when they nest
    deeper than one group of leaves."""
    if not conditions:
        return [], "all"
    if "field" in conditions:
        return [_row(conditions)], "all"
    match = "any" if "any" in conditions else "all"
    items = conditions.get(match) or []
    if any(not isinstance(i, dict) or "field" not in i for i in items):
        return None, match
    return [_row(i) for i in items], match


def _row(leaf: dict[str, Any]) -> list[str]:
    name = str(leaf.get("field", ""))
    labels = CHOICE_LABELS.get(name, {})
    value = leaf.get("value")
    if isinstance(value, list):
        text = ", ".join(_text(labels, v) for v in value)
    else:
        text = "" if value is None else _text(labels, value)
    return [name, str(leaf.get("op", "")), text]


def _text(labels: dict[str, str], value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and value in labels:
        return _(labels[value])
    return str(value)


def described(view: dict[str, Any]) -> str:
    """A policy's conditions in the reader's words ("Plano da organização é um de Prime,
    Plus"); "sempre" without any; nested groups as the engine says them."""
    rows, match = flat(view.get("conditions") or {})
    if rows is None:
        return str(view.get("conditions_text", ""))
    if not rows:
        return _("always")
    joiner = _(" and ") if match == "all" else _(" or ")
    return joiner.join(
        " ".join(
            part
            for part in (
                _(FIELD_LABELS[f]) if f in FIELD_LABELS else f,
                _(OP_LABELS[o]) if o in OP_LABELS else o,
                v,
            )
            if part
        )
        for f, o, v in rows
    )


def placed(errors: forms.Errors) -> forms.Errors:
    """Errors keyed where the form shows them: a condition's row (``conditions.2``), a
    target's field (``first_response_minutes``, ``private_targets.first_response_minutes``,
    ``target_clocks.resolution``), the escalation, or the field itself."""
    out: forms.Errors = {}
    for key, text in errors.items():
        row = _ROW.match(key)
        if row is not None:
            where = f"conditions.{row.group(1)}"
        elif key.startswith(("conditions.all.", "conditions.any.")):
            where = "conditions." + key.split(".")[2]
        elif key.startswith("target_clocks."):
            where = ".".join(key.split(".")[:2])
        elif key.startswith("escalation."):
            where = "escalation"
        elif key.startswith("private_targets."):
            where = ".".join(key.split(".")[:2])
        else:
            where = key
        out.setdefault(where, text)
    return out
