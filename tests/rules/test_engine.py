"""The engine through the tickets service: rules run after each change, act as ``rule: <name>``,
explain themselves on the timeline, enqueue notifications once, fail without harm, and stop
cascades."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from atende.jobs.models import Job
from atende.workflows import tickets as ticket_workflows
from atende.workflows.settle import Settler
from tests.rules.conftest import T0, World, agent_actor, run_rules


def leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


def test_a_created_ticket_is_routed_and_the_timeline_says_why(world: World) -> None:
    prime = world.queue("Prime - Especialistas")
    org = world.org(plan="Prime")
    world.rule(
        name="Prime",
        event="ticket_created",
        conditions={"all": [leaf("organization.plan", "eq", "Prime")]},
        actions=[
            {"type": "set_queue", "value": prime.id},
            {"type": "add_tags", "value": ["Prime", "vip"]},
        ],
    )
    ticket = world.ticket(contact_id=world.contact(org).id)
    assert ticket.queue_id == prime.id
    assert world.tags(ticket) == ["prime", "vip"]
    [summary] = world.events(ticket, "rule")
    assert summary.actor_label == "rule: Prime"
    assert summary.after["matched"] == "organization.plan = Prime"
    assert summary.after["actions"] == [
        f"queue → Prime - Especialistas (queue {prime.id})",
        "tags → [prime, vip]",
    ]
    assert 'Rule "Prime" (ticket_created): organization.plan = Prime →' in summary.detail
    # the changes themselves are ordinary events, by the rule, after its summary
    [queue_event] = world.events(ticket, "queue")
    assert queue_event.actor_label == "rule: Prime"
    assert queue_event.position > summary.position


def test_rules_that_do_not_match_or_change_nothing_leave_no_trace(world: World) -> None:
    q = world.queue()
    world.rule(
        event="ticket_created",
        conditions={"all": [leaf("organization.plan", "eq", "Prime")]},
        actions=[{"type": "set_queue", "value": q.id}],
    )
    world.rule(event="ticket_created", actions=[{"type": "set_priority", "value": "normal"}])
    ticket = world.ticket()
    assert ticket.queue_id != q.id  # not the rule's queue (nobody routed it: the triage queue)
    assert world.events(ticket, "rule", "rule_failed", "rule_skipped") == []


def test_rules_run_in_position_order_and_see_what_earlier_ones_did(world: World) -> None:
    first, second = world.queue("Primeira"), world.queue("Segunda")
    world.rule(
        name="depois",
        position=5,
        event="ticket_created",
        conditions={"all": [leaf("ticket.queue", "eq", "Primeira")]},
        actions=[{"type": "set_queue", "value": second.id}],
    )
    world.rule(
        name="antes",
        position=1,
        event="ticket_created",
        actions=[{"type": "set_queue", "value": first.id}],
    )
    ticket = world.ticket()
    assert ticket.queue_id == second.id
    assert [e.after["rule"] for e in world.events(ticket, "rule")] == ["antes", "depois"]


def test_message_events_see_the_message(world: World) -> None:
    world.rule(
        event="message_received",
        conditions={
            "all": [
                leaf("message.text", "contains", "urgente"),
                leaf("message.author", "eq", "contact"),
                leaf("message.channel", "eq", "whatsapp"),
            ]
        },
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    world.rule(
        event="message_sent",
        conditions={"all": [leaf("message.text", "matches", r"^resolvido")]},
        actions=[{"type": "add_tags", "value": ["respondido"]}],
    )
    ticket = world.ticket(channel="whatsapp", contact_id=world.contact().id)
    world.contact_says(ticket, "Não é urgente")  # "urgente" is there: matches
    assert ticket.priority == "urgent"
    agent = world.user("supervisor")
    ticket_workflows.add_message(
        world.db,
        actor=agent_actor(agent),
        ticket_id=ticket.id,
        body="Resolvido: reinicie o PDV.",
        public=True,
        now=T0,
    )
    assert world.tags(ticket) == ["respondido"]


def test_ticket_created_sees_the_first_message(world: World) -> None:
    world.rule(
        event="ticket_created",
        conditions={"all": [leaf("message.text", "contains", "#prime")]},
        actions=[{"type": "add_tags", "value": ["prime"]}],
    )
    assert world.tags(world.ticket(body="Oi #prime")) == ["prime"]
    assert world.tags(world.ticket(body="Oi")) == []


def test_note_and_canned_reply_render_their_templates(world: World) -> None:
    org = world.org("Padaria Pão de Ouro Ltda", plan="Básico")
    reply = world.canned(
        "Olá, {{contact.first_name|cliente}}! Chamado #{{ticket.number}} de "
        "{{organization.name}} ({{organization.plan}}). {{assignee.first_name|Ninguém}}."
    )
    world.rule(
        event="ticket_created",
        actions=[
            {"type": "send_canned_reply", "value": reply},
            {
                "type": "add_note",
                "value": "Fila: {{ticket.queue|sem fila}}, <b>{{contact.name}}</b>",
            },
        ],
    )
    contact = world.contact(org, name="Ana <script>x</script> Lima")
    ticket = world.ticket(contact_id=contact.id)
    _opening, public, note = world.messages(ticket)
    assert public.public and public.author_kind == "system"
    assert public.body_text == (
        f"Olá, Ana! Chamado #{ticket.number} de Padaria Pão de Ouro Ltda (Básico). Ninguém."
    )
    assert not note.public
    # an HTML template gets its values escaped: the contact's name cannot inject markup
    assert "<script>" not in note.body_html
    assert "Fila: sem fila" in note.body_text
    assert "Ana <script>x</script> Lima" in note.body_text


def test_notifications_are_enqueued_once_per_event_instance(world: World) -> None:
    support = world.queue()
    supervisor = world.user("supervisor", queues=(support,))
    world.user("supervisor")  # not of this queue: not notified
    agent = world.user()
    world.rule(
        name="avisar",
        event="ticket_updated",
        conditions={"all": [leaf("ticket.priority", "eq", "urgent")]},
        actions=[
            {
                "type": "notify_email",
                "value": {
                    "to": ["assignee", "supervisors", "requester", "Gerente@Loja.test"],
                    "subject": "Urgente: #{{ticket.number}}",
                },
            },
            {
                "type": "notify_webhook",
                "value": {"url": "https://hooks.loja.test/atende", "secret": "s3cr3t"},
            },
            {
                "type": "notify_telegram",
                "value": {"chat_id": -100123, "text": "#{{ticket.number}} urgente"},
            },
        ],
    )
    contact = world.contact()
    ticket = world.ticket(contact_id=contact.id, queue_id=support.id, assignee_id=agent.id)
    world.update(ticket, priority="urgent")
    email, hook, telegram = (
        world.jobs("notify.email") + world.jobs("notify.webhook") + world.jobs("notify.telegram")
    )
    assert email.payload == {
        "to": [agent.email, supervisor.email, contact.email, "gerente@loja.test"],
        "subject": f"Urgente: #{ticket.number}",
        "text": f'Rule "avisar" ran on ticket #{ticket.number} (Impressora fiscal não imprime) '
        "after ticket_updated: ticket.priority = urgent",
    }
    assert hook.payload["url"] == "https://hooks.loja.test/atende"
    assert hook.payload["secret"] == "s3cr3t"
    assert hook.payload["event"] == "ticket_updated"
    assert hook.payload["data"]["ticket"]["priority"] == "urgent"
    assert hook.payload["data"]["rule"]["name"] == "avisar"
    assert telegram.payload == {"chat_id": "-100123", "text": f"#{ticket.number} urgente"}
    keys = [j.idempotency_key for j in (email, hook, telegram)]
    assert len(set(keys)) == 3
    assert all(
        k.startswith(f"rule:{email.idempotency_key.split(':')[1]}:t{ticket.id}:") for k in keys
    )
    # the same event instance again (e.g. a retried run): no second notification
    run_rules(world.db, ticket, "ticket_updated", T0)
    assert len(world.jobs("notify.email")) == 1
    # a new change is a new instance: notified again
    world.update(ticket, subject="Impressora fiscal parada")
    assert len(world.jobs("notify.email")) == 2


def test_nobody_to_email_is_said_not_enqueued(world: World) -> None:
    world.rule(
        event="ticket_created",
        actions=[{"type": "notify_email", "value": {"to": "assignee"}}],
    )
    ticket = world.ticket()
    assert world.jobs("notify.email") == []
    [summary] = world.events(ticket, "rule")
    assert summary.after["actions"] == ["no e-mail: nobody to send to (assignee)"]


def test_a_failing_rule_applies_nothing_and_the_use_case_goes_on(world: World) -> None:
    agent = world.user()
    world.rule(
        name="atribuir",
        event="ticket_created",
        actions=[
            {"type": "add_tags", "value": ["auto"]},
            {"type": "add_note", "value": "atribuído automaticamente"},
            {"type": "set_assignee", "value": agent.id},
        ],
    )
    agent.active = False  # deactivated after the rule was saved
    world.db.flush()
    ticket = world.ticket()
    assert ticket.id is not None and ticket.assignee_id is None
    assert world.tags(ticket) == []
    assert [m.body_text for m in world.messages(ticket)] == ["Desde ontem."]
    [failed] = world.events(ticket, "rule_failed")
    assert "failed, nothing of it was applied" in failed.detail
    assert f"user {agent.id} is not an active agent" in failed.after["error"]


def test_invalid_status_change_is_noted_and_the_rest_applies(world: World) -> None:
    world.rule(
        event="ticket_updated",
        conditions={"all": [leaf("ticket.status", "eq", "resolved")]},
        actions=[
            {"type": "set_status", "value": "pending_customer"},
            {"type": "add_tags", "value": ["resolvido"]},
        ],
    )
    ticket = world.ticket()
    world.update(ticket, status="resolved")
    assert ticket.status == "resolved"
    assert world.tags(ticket) == ["resolvido"]
    [summary] = world.events(ticket, "rule")
    assert any(a.startswith("status stays resolved: reopen") for a in summary.after["actions"])


def test_closed_tickets_are_left_alone_but_notifications_go(world: World) -> None:
    q = world.queue()
    world.rule(
        event="ticket_updated",
        conditions={"all": [leaf("ticket.status", "eq", "closed")]},
        actions=[
            {"type": "set_queue", "value": q.id},
            {"type": "add_note", "value": "fechado"},
            {"type": "notify_email", "value": {"to": ["qualidade@solis.test"]}},
        ],
    )
    ticket = world.ticket()
    world.update(ticket, status="closed")
    assert ticket.queue_id != q.id
    assert len(world.jobs("notify.email")) == 1
    [summary] = world.events(ticket, "rule")
    assert summary.after["actions"] == [
        "the ticket is closed: its fields stay as they are",
        "no add_note: the ticket is closed",
        "e-mail queued to qualidade@solis.test",
    ]


def test_transfer_uses_the_tickets_service_and_its_reason(world: World) -> None:
    finance = world.queue("Financeiro")
    agent = world.user()
    world.rule(
        name="cobrança",
        event="ticket_created",
        conditions={"all": [leaf("organization.delinquent", "eq", True)]},
        actions=[
            {
                "type": "transfer",
                "value": {"queue_id": finance.id, "reason": "Pendência de {{organization.name}}"},
            }
        ],
    )
    org = world.org("Açougue Boi Nobre Ltda", delinquent=True)
    ticket = world.ticket(contact_id=world.contact(org).id, assignee_id=agent.id)
    assert ticket.queue_id == finance.id
    assert ticket.assignee_id is None  # a transfer leaves the ticket for the new team
    notes = [m for m in world.messages(ticket) if not m.public]
    assert [m.body_text for m in notes] == ["Pendência de Açougue Boi Nobre Ltda"]
    # already there: a transfer again does nothing (and writes nothing)
    run_rules(world.db, ticket, "ticket_created", T0)
    assert len(world.events(ticket, "rule")) == 1


def test_a_ping_pong_is_stopped_by_the_loop_guard(world: World) -> None:
    world.rule(
        name="A",
        event="ticket_updated",
        conditions={"all": [leaf("ticket.tags", "contains", "a")]},
        actions=[{"type": "remove_tags", "value": ["a"]}, {"type": "add_tags", "value": ["b"]}],
    )
    world.rule(
        name="B",
        event="ticket_updated",
        conditions={"all": [leaf("ticket.tags", "contains", "b")]},
        actions=[{"type": "remove_tags", "value": ["b"]}, {"type": "add_tags", "value": ["a"]}],
    )
    ticket = world.ticket()
    world.update(ticket, tags=["a"])
    # user adds a -> A: a->b -> B: b->a -> A again: refused by the loop guard
    assert world.tags(ticket) == ["a"]
    assert [e.after["rule"] for e in world.events(ticket, "rule")] == ["A", "B"]
    [skipped] = world.events(ticket, "rule_skipped")
    assert skipped.after["rule"] == "A"
    assert "loop guard" in skipped.detail
    # a new change by a person is a new chain: the rules run again
    world.update(ticket, tags=["a", "x"])
    assert [e.after["rule"] for e in world.events(ticket, "rule")] == ["A", "B", "A", "B"]


def test_a_long_chain_stops_at_the_depth_bound(world: World) -> None:
    for i in range(1, 8):
        world.rule(
            name=f"R{i}",
            position=i,
            event="ticket_updated",
            conditions={"all": [leaf("ticket.tags", "contains", f"t{i}")]},
            actions=[{"type": "add_tags", "value": [f"t{i + 1}"]}],
        )
    ticket = world.ticket()
    world.update(ticket, tags=["t1"])
    [stop] = world.events(ticket, "rules_stopped")
    assert stop.after["chain"] == ["R1", "R2", "R3", "R4", "R5"]
    assert "automation stopped: 5 levels" in stop.detail
    # the first level goes on with the rules after R1: R6 and R7 see t6 and run there
    assert world.tags(ticket) == ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]


def test_sla_breach_rules_run_from_the_sweeper(world: World, admin: Any) -> None:
    from tests.sla.helpers import make_calendar, make_policy

    cal = make_calendar(admin)
    make_policy(admin, "Padrão", cal, first_response_minutes=60)
    world.rule(
        name="estouro",
        event="sla_breach",
        actions=[
            {"type": "add_tags", "value": ["sla-estourado"]},
            {"type": "notify_email", "value": {"to": ["sac@solis.test"]}},
        ],
    )
    ticket = world.ticket(contact_id=world.contact().id)
    assert world.tags(ticket) == []
    Settler(world.db, now=T0 + timedelta(hours=3)).refresh(ticket)
    assert world.tags(ticket) == ["sla-estourado"]
    [job] = world.jobs("notify.email")
    assert ":sla_breach:first_response:1:" in (job.idempotency_key or "")


def test_in_business_hours_uses_the_default_calendar(world: World) -> None:
    world.calendar()  # Mon-Fri 08:00-18:00, São Paulo: the default (first) calendar
    world.rule(
        event="ticket_created",
        conditions={"all": [leaf("ticket.in_business_hours", "eq", False)]},
        actions=[{"type": "add_tags", "value": ["fora-do-horario"]}],
    )
    assert world.tags(world.ticket(now=T0)) == []  # Tuesday 10:00
    saturday = T0 + timedelta(days=4)
    assert world.tags(world.ticket(now=saturday)) == ["fora-do-horario"]


def test_rule_changes_reach_the_sla_clocks(world: World, admin: Any) -> None:
    """A rule's change is an ordinary ticket update: the SLA engine re-evaluates it."""
    from tests.sla.helpers import make_calendar, make_policy

    cal = make_calendar(admin)
    make_policy(
        admin,
        "Urgente",
        cal,
        position=0,
        first_response_minutes=30,
        conditions={"all": [leaf("ticket.priority", "eq", "urgent")]},
    )
    world.rule(
        event="ticket_created",
        conditions={"all": [leaf("message.text", "contains", "parado")]},
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    ticket = world.ticket(body="PDV parado")
    policy = [e for e in world.events(ticket) if e.kind == "sla_policy"]
    assert policy[-1].after == "Urgente"


def test_jobs_are_written_in_the_same_transaction(world: World) -> None:
    world.rule(
        event="ticket_created", actions=[{"type": "notify_email", "value": {"to": ["a@b.test"]}}]
    )
    savepoint = world.db.begin_nested()
    world.ticket()
    assert len(world.jobs("notify.email")) == 1
    savepoint.rollback()
    assert world.db.query(Job).filter(Job.kind == "notify.email").count() == 0


def test_a_value_in_a_plain_text_canned_reply_never_becomes_markup(admin: Any) -> None:
    """Contact-controlled text (a subject) must not turn an official reply into a phishing link."""
    template = "Olá {{contact.first_name}},\nrecebemos: {{ticket.subject}}\nAtt"
    reply = admin.post("/api/v1/canned-replies", json={"name": "Recebido", "body": template})
    assert reply.status_code == 201, reply.text
    rule = admin.post("/api/v1/rules", json={
        "name": "Confirma", "event": "ticket_created",
        "actions": [{"type": "send_canned_reply", "value": reply.json()["id"]}],
    })  # fmt: skip
    assert rule.status_code == 201, rule.text
    evil = '<a href="https://evil.test/login">Clique aqui</a>'
    t = admin.post("/api/v1/tickets", json={
        "subject": evil, "body": "oi",
        "requester": {"name": "Ana <ana@x.example>", "email": "ana@x.example"},
    })  # fmt: skip
    assert t.status_code == 201, t.text
    sent = [m for m in admin.get(f"/api/v1/tickets/{t.json()['id']}/timeline").json()
            if m.get("entry") == "message" and m["author_kind"] == "system"]  # fmt: skip
    assert sent, "the canned reply was not sent"
    body = sent[-1]["body_html"]
    assert "<a " not in body and "evil.test" in body  # shown as text, not a link
    assert "&lt;a href=" in body and body.count("<br>") == 2
    assert "recebemos: " + evil in sent[-1]["body_text"]
