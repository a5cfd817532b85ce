"""A ticket's timeline events told as sentences in the visitor's language.

"SLA de primeira resposta cumprido às 14:32", "Transferido de Suporte N1 para Financeiro por
Ana": each event kind has its sentence, with the names of the people and queues it mentions and
its times in the visitor's zone; never a field dump. An event kind without a sentence of its own
says who updated the ticket. The services write their automatic details in English (the API's
language); the ones a person should read are told here in the page's language, and free text (a
transfer's reason) is shown as it was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.domain import phones
from atende.tickets.models import Message, Ticket, TicketEvent
from atende.web import i18n
from atende.web import repository as web_repository
from atende.web.i18n import N_, _
from atende.web.survey_labels import survey_reason_label
from atende.web.templating import (
    PRIORITY_LABELS,
    SLA_KIND_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    label_of,
)

# Who did it, for the automatic actors (their labels are stored in English).
SYSTEM_ACTORS = {
    "Atende": N_("Atende"),
    "SLA": N_("SLA"),
    "Routing": N_("Routing"),
    "Vacation handover": N_("Vacation handover"),
    "Auto-close": N_("Auto-close"),
    "Satisfaction survey": N_("Satisfaction survey"),
    "SLA escalation": N_("SLA escalation"),
}
# Details the services write that a person reads, by their start.
DETAILS = {
    "the contact replied": N_("the customer replied"),
    "first public reply": N_("first public reply"),
    "imported": N_("imported"),
    "assigned automatically": N_("automatic assignment"),
    "back to the front of the queue": N_("back to the front of the queue"),
    "not a member of the new queue": N_("not a member of the new queue"),
    "escalated": N_("SLA escalation"),
    "split with replies": N_("split with replies"),
    "merged into": N_("merged"),
    "taken from queue": N_("taken from the queue"),
}
BREACH_CATEGORIES = {
    "waiting_other_department": N_("waiting on another department"),
    "many_exchanges": N_("many exchanges"),
    "wrong_first_solution": N_("wrong first solution"),
    "customer_unreachable": N_("customer unreachable"),
    "other": N_("other"),
}


@dataclass(frozen=True)
class Names:
    """Labels of the ids the events mention (read once for the whole timeline)."""

    users: Mapping[int, str]
    queues: Mapping[int, str]
    organizations: Mapping[int, str]


@dataclass(frozen=True)
class Sentence:
    text: str
    note: str = ""  # a reason or detail shown under the sentence
    link: int | None = None  # a ticket the sentence mentions


def who(event: TicketEvent, *, staff: bool) -> str:
    """The author: a person's name, an automatic actor in the page's language (a rule by its
    name for staff; "Atende" for a customer)."""
    label = event.actor_label or ""
    if event.actor_user_id is not None:
        return label
    if label.startswith("rule: "):
        return _("rule “%(name)s”") % {"name": label[6:]} if staff else _("Atende")
    known = SYSTEM_ACTORS.get(label)
    if known is not None:
        return _(known)
    return label if staff else _("Atende")


when = i18n.when_text


def detail_text(detail: str) -> str:
    """An automatic detail in the page's language; free text as it was written."""
    text = (detail or "").strip()
    if not text:
        return ""
    for start, message in DETAILS.items():
        if text.startswith(start):
            return _(message)
    return text


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _sla_kind(after: Any) -> str:
    if not isinstance(after, dict):
        return _("SLA")
    kind = label_of(SLA_KIND_LABELS, str(after.get("kind") or ""))
    cycle = after.get("cycle")
    if after.get("kind") == "next_response" and isinstance(cycle, int) and cycle > 1:
        return _("%(kind)s no. %(cycle)s") % {"kind": kind, "cycle": cycle}
    return kind


def _clock_time(after: Any, key: str) -> datetime | None:
    return _instant(after.get(key)) if isinstance(after, dict) else None


def _named(table: Mapping[int, str], value: Any, fallback: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return table.get(value, fallback % {"id": value})
    return str(value)


def _tags(before: Any, after: Any) -> tuple[list[str], list[str]]:
    old = {str(t) for t in before} if isinstance(before, list) else set()
    new = {str(t) for t in after} if isinstance(after, list) else set()
    return sorted(new - old), sorted(old - new)


Teller = Callable[[TicketEvent, str, Names, datetime], Sentence]


def _created(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Opened by %(who)s") % {"who": by}, detail_text(e.detail))


def _changed(message: str, labels: dict[str, str], *, with_detail: bool = True) -> Teller:
    """A field moved from one labelled value to another (status, priority, type), by whom."""

    def tell(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
        values = {"before": label_of(labels, e.before), "after": label_of(labels, e.after),
                  "who": by}  # fmt: skip
        return Sentence(_(message) % values, detail_text(e.detail) if with_detail else "")

    return tell


def _subject(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(
        _("Subject changed by %(who)s") % {"who": by},
        _("Was: %(before)s") % {"before": e.before} if e.before else "",
    )


def _assignee(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    before = _named(n.users, e.before, _("user %(id)s"))
    after = _named(n.users, e.after, _("user %(id)s"))
    note = detail_text(e.detail)
    if e.before is None:
        if e.actor_user_id is not None and e.actor_user_id == e.after:
            return Sentence(_("%(who)s took the ticket") % {"who": by}, note)
        return Sentence(_("Assigned to %(after)s by %(who)s") % {"after": after, "who": by}, note)
    if e.after is None:
        return Sentence(
            _("Unassigned from %(before)s by %(who)s") % {"before": before, "who": by}, note
        )
    values = {"before": before, "after": after, "who": by}
    return Sentence(_("Reassigned from %(before)s to %(after)s by %(who)s") % values, note)


def _queue(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    after = _named(n.queues, e.after, _("queue %(id)s"))
    reason = (e.detail or "").strip()
    note = _("Reason: %(reason)s") % {"reason": reason} if reason else ""
    if e.before is None:
        return Sentence(_("Placed in %(after)s by %(who)s") % {"after": after, "who": by}, note)
    values = {"before": _named(n.queues, e.before, _("queue %(id)s")), "after": after, "who": by}
    return Sentence(_("Transferred from %(before)s to %(after)s by %(who)s") % values, note)


def _organization(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    values = {
        "before": _named(n.organizations, e.before, _("organization %(id)s")),
        "after": _named(n.organizations, e.after, _("organization %(id)s")),
        "who": by,
    }
    return Sentence(_("Organization changed from %(before)s to %(after)s by %(who)s") % values)


def _tags_changed(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    added, removed = _tags(e.before, e.after)
    parts = []
    if added:
        parts.append(_("added %(tags)s") % {"tags": ", ".join(added)})
    if removed:
        parts.append(_("removed %(tags)s") % {"tags": ", ".join(removed)})
    return Sentence(_("Tags changed by %(who)s") % {"who": by}, "; ".join(parts))


def _custom_fields(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Custom fields changed by %(who)s") % {"who": by})


def _chat_ended(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Chat ended by %(who)s") % {"who": by})


def _link(message: str) -> Teller:
    def tell(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
        number = e.after if isinstance(e.after, int) else None
        return Sentence(_(message) % {"who": by}, link=number)

    return tell


def _sla_policy(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    if e.after is None:
        return Sentence(_("No SLA policy applies"))
    if e.before:
        values = {"before": e.before, "after": e.after}
        return Sentence(_("SLA policy changed from %(before)s to %(after)s") % values)
    return Sentence(_("SLA policy %(name)s applied") % {"name": e.after})


def _sla_met(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    at = _clock_time(e.after, "met_at") or e.created_at
    values = {"kind": _sla_kind(e.after), "when": when(at, now)}
    return Sentence(_("SLA for %(kind)s met %(when)s") % values)


def _sla_warning(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    due = _clock_time(e.after, "due_at")
    values = {"kind": _sla_kind(e.after), "when": when(due, now)}
    if due is None:
        return Sentence(_("SLA for %(kind)s nearing its target") % values)
    return Sentence(_("SLA for %(kind)s nearing its target: due %(when)s") % values)


def _sla_breached(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    at = _clock_time(e.after, "breached_at") or e.created_at
    values = {"kind": _sla_kind(e.after), "when": when(at, now)}
    met = _clock_time(e.after, "met_at")
    note = _("Done %(when)s") % {"when": when(met, now)} if met is not None else ""
    return Sentence(_("SLA for %(kind)s breached %(when)s") % values, note)


def _sla_reopened(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    due = _clock_time(e.after, "due_at")
    values = {"kind": _sla_kind(e.after), "when": when(due, now)}
    return Sentence(_("SLA for %(kind)s running again (reopened): due %(when)s") % values)


def _sla_paused(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("SLA clocks paused while the ticket waits"))


def _sla_resumed(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("SLA clocks resumed"))


def _breach_reason(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    category = label_of(BREACH_CATEGORIES, e.after if isinstance(e.after, str) else None)
    return Sentence(
        _("%(who)s recorded why the SLA was breached: %(category)s")
        % {"who": by, "category": category}
    )


def _rule(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Automation: %(who)s ran") % {"who": by})


def _rule_skipped(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(
        _("Automation: %(who)s matched again and was not run (loop guard)") % {"who": by}
    )


def _rules_stopped(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Automation stopped: too many rules set off one another"))


def _attachment(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("%(who)s attached %(name)s") % {"who": by, "name": e.detail or "—"})


def _call(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    """Told as "Ligação recebida de +55 11 98765-4321 (4 min): …" (the summary as written)."""
    after = e.after if isinstance(e.after, dict) else {}
    seconds = after.get("duration_seconds")
    values = {
        "number": phones.spaced(str(after.get("number", ""))),
        "minutes": max(1, round(seconds / 60)) if isinstance(seconds, int) else "?",
        "summary": after.get("summary", ""),
    }
    if after.get("direction") == "out":
        return Sentence(_("Call made to %(number)s (%(minutes)s min): %(summary)s") % values)
    return Sentence(_("Call received from %(number)s (%(minutes)s min): %(summary)s") % values)


CALL_SUMMARY_WAYS = {"email": N_("by e-mail"), "whatsapp": N_("by WhatsApp")}


def _call_summary(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    after = e.after if isinstance(e.after, dict) else {}
    way = CALL_SUMMARY_WAYS.get(str(after.get("via")), "")
    return Sentence(
        _("%(who)s sent the call's summary to the customer %(way)s")
        % {"who": by, "way": _(way) if way else ""}
    )


def _survey(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Satisfaction survey sent to the customer"))


SURVEY_SKIPPED = {
    "merged": N_("the ticket was merged"),
    "spam": N_("the ticket is spam"),
    "no_requester": N_("the ticket has no requester"),
    "no_email": N_("the customer has no e-mail address"),
    "staff": N_("the requester is a member of the staff"),
    "internal_domain": N_("the customer's e-mail is at an internal domain"),
    "cooldown": N_("the customer was surveyed recently (cooldown)"),
}


def _survey_facts(e: TicketEvent) -> tuple[str, Any]:
    after = e.after if isinstance(e.after, dict) else {}
    return str(after.get("kind") or "csat").upper(), after


def _survey_sent(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    kind, after = _survey_facts(e)
    agent = after.get("agent_id")
    note = (
        _("The rating counts for %(agent)s") % {"agent": _named(n.users, agent, "#%(id)s")}
        if isinstance(agent, int)
        else ""
    )
    return Sentence(_("Satisfaction survey (%(kind)s) sent to the customer") % {"kind": kind}, note)


def _survey_answered(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    kind, after = _survey_facts(e)
    top = 5 if kind == "CSAT" else 10
    text = _("The customer rated the service %(score)s of %(top)s (%(kind)s)") % {
        "score": after.get("score", "—"), "top": top, "kind": kind,
    }  # fmt: skip
    reason = survey_reason_label(str(after.get("reason") or ""))
    parts = [_("Reason: %(reason)s") % {"reason": reason}] if reason else []
    if e.detail:
        parts.append(e.detail)
    return Sentence(text, " — ".join(parts))


def _survey_skipped(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    kind, after = _survey_facts(e)
    why = SURVEY_SKIPPED.get(str(after.get("why") or ""))
    return Sentence(
        _("No satisfaction survey (%(kind)s) sent: %(why)s")
        % {"kind": kind, "why": _(why) if why else e.detail}
    )


def _survey_cancelled(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    return Sentence(_("Satisfaction survey cancelled: the ticket reopened before it was sent"))


def _retention(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
    after = e.after if isinstance(e.after, dict) else {}
    if after.get("outcome") == "accepted":
        text = _("%(who)s tried to keep the customer: the offer was accepted")
    else:
        text = _("%(who)s tried to keep the customer: the offer was declined")
    return Sentence(text % {"who": by}, str(after.get("offer") or ""))


def _told(message: str) -> Teller:
    """A sentence naming who did it, with the event's own detail under it (visits write
    theirs in Portuguese: the window, the technician, the billing)."""

    def tell(e: TicketEvent, by: str, n: Names, now: datetime) -> Sentence:
        return Sentence(_(message) % {"who": by}, detail_text(e.detail))

    return tell


TELLERS: dict[str, Teller] = {
    "created": _created,
    "status": _changed(N_("Status changed from %(before)s to %(after)s by %(who)s"), STATUS_LABELS),
    "priority": _changed(
        N_("Priority changed from %(before)s to %(after)s by %(who)s"), PRIORITY_LABELS
    ),
    "type": _changed(
        N_("Type changed from %(before)s to %(after)s by %(who)s"), TYPE_LABELS, with_detail=False
    ),
    "subject": _subject,
    "assignee": _assignee,
    "queue": _queue,
    "organization": _organization,
    "tags": _tags_changed,
    "custom_fields": _custom_fields,
    "chat_ended": _chat_ended,
    "chat_started": _told(N_("Chat started on the website widget")),
    "split": _link(N_("%(who)s split this ticket into")),
    "split_from": _link(N_("%(who)s created this ticket by splitting")),
    "merged_into": _link(N_("%(who)s merged this ticket into")),
    "merged_from": _link(N_("%(who)s merged here the ticket")),
    "follow_up": _link(N_("%(who)s opened the follow-up ticket")),
    "follow_up_of": _link(N_("%(who)s opened this ticket as a follow-up of")),
    "sla_policy": _sla_policy,
    "sla_met": _sla_met,
    "sla_warning": _sla_warning,
    "sla_breached": _sla_breached,
    "sla_reopened": _sla_reopened,
    "sla_paused": _sla_paused,
    "sla_resumed": _sla_resumed,
    "sla_breach_reason": _breach_reason,
    "rule": _rule,
    "rule_skipped": _rule_skipped,
    "rules_stopped": _rules_stopped,
    "attachment_added": _attachment,
    "call_logged": _call,
    "call_summary_sent": _call_summary,
    "survey_requested": _survey,
    "survey_sent": _survey_sent,
    "survey_answered": _survey_answered,
    "survey_skipped": _survey_skipped,
    "survey_cancelled": _survey_cancelled,
    "visit_scheduled": _told(N_("%(who)s booked a visit")),
    "visit_changed": _told(N_("%(who)s changed a visit")),
    "visit_cancelled": _told(N_("%(who)s cancelled a visit")),
    "on_call_reviewed": _told(N_("%(who)s marked the on-call review")),
    "on_call_review_removed": _told(N_("%(who)s took back the on-call review")),
    "retention": _retention,
}


def names_of(session: Session, ticket: Ticket, entries: Sequence[Message | TicketEvent]) -> Names:
    """The names a ticket's timeline mentions (its people, queues and organizations), read
    in three queries."""
    messages = [e for e in entries if isinstance(e, Message)]
    events = [e for e in entries if isinstance(e, TicketEvent)]
    user_ids = [m.author_user_id for m in messages]
    user_ids += [ticket.assignee_id, ticket.on_call_reviewed_by_id]
    queue_ids: list[int | None] = [ticket.queue_id]
    org_ids: list[int | None] = [ticket.organization_id]
    for event in events:
        values = [v for v in (event.before, event.after) if isinstance(v, int)]
        if event.kind == "assignee":
            user_ids += values
        elif event.kind.startswith("survey_") and isinstance(event.after, dict):
            user_ids += [v for v in (event.after.get("agent_id"),) if isinstance(v, int)]
        elif event.kind == "queue":
            queue_ids += values
        elif event.kind == "organization":
            org_ids += values
    return Names(
        users=web_repository.user_names(session, user_ids),
        queues=web_repository.queue_names(session, queue_ids),
        organizations=web_repository.organization_names(session, org_ids),
    )


def said(event: TicketEvent, names: Names, *, now: datetime, staff: bool) -> str:
    """The event as one line of text: its sentence, then its note for staff (a reason or a
    detail; a customer reads the sentence only)."""
    sentence = tell(event, names, now=now, staff=staff)
    if staff and sentence.note:
        return f"{sentence.text} ({sentence.note})"
    return sentence.text


def tell(event: TicketEvent, names: Names, *, now: datetime, staff: bool) -> Sentence:
    """The sentence of one event, in the page's language."""
    by = who(event, staff=staff)
    teller = TELLERS.get(event.kind)
    if teller is None:
        return Sentence(_("Ticket updated by %(who)s") % {"who": by})
    return teller(event, by, names, now)
