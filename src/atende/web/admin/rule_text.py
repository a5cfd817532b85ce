"""Rules and their dry-run said in the reader's language: the list's summaries (when, if, then)
and the dry-run's steps, each condition judged on its own (``rules_service.dry_run``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from atende.domain import rules as rules_domain
from atende.web.admin.rule_form import (
    ACTION_LABELS,
    EVENT_LABELS,
    FIELD_LABELS,
    OP_LABELS,
    PRESENCE_OPS,
    show_value,
)
from atende.web.i18n import N_, _
from atende.web.templating import PRIORITY_LABELS, STATUS_LABELS

SKIPPED_TEXTS = {
    rules_domain.LOOP_GUARD_TEXT: N_(
        "already ran for this ticket in this chain of changes (loop guard)"
    ),
    rules_domain.IDLE_TEXT: N_("already ran in this chain of changes; would change nothing now"),
    "already fired in this status period": N_("already fired in this status period"),
}


def field_text(name: str) -> str:
    label = FIELD_LABELS.get(name)
    if label is not None:
        return _(label)
    return _("Custom field: %(key)s") % {"key": name.split(".", 1)[-1]}


def condition_text(leaf: Mapping[str, Any]) -> str:
    """``Organização: plano é Prime``."""
    op = str(leaf.get("op", ""))
    words = f"{field_text(str(leaf.get('field', '')))} {_(OP_LABELS.get(op, op))}"
    if op in PRESENCE_OPS:
        return words
    return f"{words} {show_value(leaf.get('value'))}"


def _named(pairs: Sequence[tuple[int, str]], ident: object) -> str:
    for key, name in pairs:
        if key == ident:
            return name
    return f"#{ident}"


def action_text(action: Mapping[str, Any], choices: Mapping[str, Any]) -> str:
    """``Mover para a fila Financeiro``: what an action does, in a few words."""
    kind = str(action.get("type", ""))
    v = action.get("value")
    label = _(ACTION_LABELS.get(kind, kind))
    if kind == "set_queue":
        detail = _named(choices["queues"], v)
    elif kind == "transfer" and isinstance(v, Mapping):
        detail = f"{_named(choices['queues'], v.get('queue_id'))} ({v.get('reason', '')})"
    elif kind == "set_priority":
        detail = _(PRIORITY_LABELS.get(str(v), str(v)))
    elif kind == "set_status":
        detail = _(STATUS_LABELS.get(str(v), str(v)))
    elif kind == "set_assignee":
        detail = _("nobody") if v is None else _named(choices["people"], v)
    elif kind == "send_canned_reply":
        detail = _named(choices["canned"], v)
    elif isinstance(v, Mapping):
        target = v.get("to") or v.get("chat_id") or v.get("url") or ""
        detail = show_value(target) if not isinstance(target, int) else str(target)
        if kind == "notify_webhook":
            detail = str(v.get("url", "")).split("?", 1)[0]
    else:
        detail = show_value(v)
    text = f"{label}: {detail}" if detail else label
    return text if len(text) <= 160 else text[:157] + "…"


def summary(stored: Mapping[str, Any], choices: Mapping[str, Any]) -> dict[str, Any]:
    """When, if and then of a stored rule, for the list."""
    conditions = stored.get("conditions") or {}
    parts: list[str] = []
    kind = "any" if "any" in conditions else "all"
    for child in conditions.get(kind, [conditions] if "field" in conditions else []):
        if "field" in child:
            parts.append(condition_text(child))
            continue
        inner_kind = "any" if "any" in child else "all"
        inner = [condition_text(c) if "field" in c else "…" for c in child.get(inner_kind, [])]
        joiner = f" {_('or')} " if inner_kind == "any" else f" {_('and')} "
        parts.append("(" + joiner.join(inner) + ")")
    time = stored.get("time")
    when = _(EVENT_LABELS.get(str(stored.get("event")), str(stored.get("event"))))
    if time:
        when = _("%(status)s for %(hours)s business hours") % {
            "status": _(STATUS_LABELS.get(time["status"], time["status"])),
            "hours": time["business_hours"],
        }
    return {
        "when": when,
        "conditions": parts,
        "joiner": _("or") if kind == "any" else _("and"),
        "actions": [action_text(a, choices) for a in stored.get("actions") or []],
    }


CHANGE_LABELS = {
    "queue_id": N_("queue"),
    "priority": N_("priority"),
    "status": N_("status"),
    "type": N_("type"),
    "assignee_id": N_("assignee"),
    "tags": N_("tags"),
}
NOTE_TEXTS = {
    "nothing to change": N_("nothing to change: the ticket is already so"),
    "the ticket is closed: its fields stay as they are": N_(
        "the ticket is closed: its fields stay as they are"
    ),
}


def _changed(field: str, value: Any, choices: Mapping[str, Any]) -> str:
    if field == "queue_id":
        shown = _named(choices["queues"], value)
    elif field == "assignee_id":
        shown = _("nobody") if value is None else _named(choices["people"], value)
    elif field == "priority":
        shown = _(PRIORITY_LABELS.get(str(value), str(value)))
    elif field == "status":
        shown = _(STATUS_LABELS.get(str(value), str(value)))
    else:
        shown = show_value(value) or "—"
    return f"{_(CHANGE_LABELS.get(field, field))} → {shown}"


def effect_text(
    effect: Mapping[str, Any], actions: Sequence[Mapping[str, Any]], choices: Mapping[str, Any]
) -> str:
    """One thing a rule would do (``rules_service.dry_run``'s ``effects``), in a few words."""
    kind = effect["kind"]
    if kind == "change":
        return _changed(str(effect["field"]), effect["value"], choices)
    if kind == "note":
        why = str(effect["why"] or "")
        if why in NOTE_TEXTS:
            return _(NOTE_TEXTS[why])
        if why.startswith("status stays "):
            status = why.removeprefix("status stays ").split(":", 1)[0]
            return _("the status stays %(status)s: the lifecycle does not allow that change") % {
                "status": _(STATUS_LABELS.get(status, status))
            }
        return why
    index = effect["index"]
    action = actions[index] if index is not None and 0 <= index < len(actions) else {}
    text = action_text(action, choices) if action else "?"
    if kind == "skipped":
        if effect["why"] == "same_queue":
            return _("%(action)s: not done, the ticket is already in that queue") % {"action": text}
        return _("%(action)s: not done, the ticket is closed") % {"action": text}
    return text


def _skipped(text: str | None) -> str | None:
    if text is None:
        return None
    if text in SKIPPED_TEXTS:
        return _(SKIPPED_TEXTS[text])
    if text.startswith("automation stopped"):
        return _("Automation stopped: too many rules set off one another")
    return text


def dry_run_view(
    result: Mapping[str, Any],
    stored: Mapping[int, Mapping[str, Any]],
    draft: Mapping[str, Any] | None,
    choices: Mapping[str, Any],
) -> dict[str, Any]:
    """The dry-run as the page shows it: per event, each rule considered with each of its
    conditions judged (the ticket's value beside it), and what the rule would do."""
    runs = []
    for run in result["runs"]:
        steps = []
        for step in run["steps"]:
            rule = stored.get(step["rule_id"]) if step["rule_id"] is not None else draft
            if step["rule_id"] is None and step["rule_name"] is None:
                rule = None  # the depth bound's line
            checks = [
                {
                    "text": condition_text(c),
                    "fact": show_value(c["fact"]) if c["fact"] is not None else None,
                    "holds": c["holds"],
                    "nested": c["depth"] > 1,
                    "group": c["group"],
                }
                for c in step["checks"]
            ]
            steps.append(
                {
                    "depth": step["depth"],
                    "event": _(EVENT_LABELS.get(step["event"], step["event"])),
                    "rule_id": step["rule_id"],
                    "name": step["rule_name"],
                    "matched": step["matched"],
                    "checks": checks,
                    "actions": [
                        effect_text(e, (rule or {}).get("actions", []), choices)
                        for e in step["effects"]
                    ],
                    "log": step["planned"],
                    "explanation": step["explanation"],
                    "skipped": _skipped(step["skipped"]),
                }
            )
        runs.append(
            {
                "event": _(EVENT_LABELS.get(run["event"], run["event"])),
                "message_id": run["message_id"],
                "steps": steps,
            }
        )
    facts = [
        (field_text(k), show_value(v)) for k, v in result["facts"].items() if k in FIELD_LABELS
    ]
    return {"ticket": result["ticket_id"], "runs": runs, "facts": facts}
