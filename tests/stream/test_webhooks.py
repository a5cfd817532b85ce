"""Webhook subscriptions: an admin subscribes a URL to event types; each event of those types
committed afterwards is queued once as a signed ``notify.webhook`` job (and sent by the worker:
tests/stream/test_serving.py sends them to a local receiver)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.jobs.models import Job
from atende.settings import Settings
from atende.stream import webhooks
from tests.stream.conftest import V1, World, ticket

HOOK = "https://hooks.example.com/atende"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allowed_hosts": ["127.0.0.1"]})


def subscribe(admin: Any, **fields: Any) -> dict[str, Any]:
    res = admin.post(f"{V1}/webhooks", json={"url": HOOK, "event_types": ["*"], **fields})
    assert res.status_code == 201, res.text
    return res.json()  # type: ignore[no-any-return]


def webhook_jobs(db: Session) -> list[Job]:
    stmt = select(Job).where(Job.kind == "notify.webhook").order_by(Job.id)
    return list(db.scalars(stmt))


def test_the_secret_is_shown_when_made_or_rotated_and_never_again(world: World) -> None:
    made = subscribe(world.admin, event_types=["ticket_created", "note_added"],
                     description="CRM")  # fmt: skip
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert made["secret_hint"] == "whsec_…" + secret[-4:]
    assert made["event_types"] == ["ticket_created", "note_added"] and made["active"] is True

    listed = world.admin.get(f"{V1}/webhooks").json()
    one = world.admin.get(f"{V1}/webhooks/{made['id']}").json()
    for shown in (listed[0], one):
        assert shown["secret"] is None and secret not in str(shown)

    rotated = world.admin.patch(f"{V1}/webhooks/{made['id']}", json={"rotate_secret": True})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] not in (None, secret)
    plain = world.admin.patch(f"{V1}/webhooks/{made['id']}", json={"active": False}).json()
    assert plain["secret"] is None and plain["active"] is False

    assert world.admin.delete(f"{V1}/webhooks/{made['id']}").status_code == 204
    assert world.admin.get(f"{V1}/webhooks/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.com/x", "event_types": ["*"]}, "url"),
        ({"url": "http://10.0.0.5/hook", "event_types": ["*"]}, "url"),
        ({"url": "http://localhost:9/hook", "event_types": ["*"]}, "url"),
        ({"url": "", "event_types": ["*"]}, "url"),
        ({"url": HOOK, "event_types": []}, "event_types"),
        ({"url": HOOK, "event_types": ["ticket_created", "ticket_exploded"]}, "event_types[1]"),
        ({"url": HOOK, "event_types": ["*", "note_added"]}, "event_types"),
        ({"url": HOOK}, "event_types"),
        ({"event_types": ["*"]}, "url"),
        ({"url": HOOK, "event_types": ["*"], "secret": "mine"}, "secret"),
        ({"url": HOOK, "event_types": ["*"], "description": "x" * 201}, "description"),
        ({"url": HOOK, "event_types": "ticket_created"}, "event_types"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world: World, body: Any, field: str) -> None:
    res = world.admin.post(f"{V1}/webhooks", json=body)
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["errors"][0]["field"] == field, res.json()


def test_bad_changes_are_refused_naming_the_field(world: World) -> None:
    made = subscribe(world.admin)
    url = f"{V1}/webhooks/{made['id']}"
    for body, field in [
        ({"url": "gopher://x"}, "url"),
        ({"event_types": ["nope"]}, "event_types[0]"),
        ({"active": None}, "active"),
        ({"rotate_secret": "yes please"}, "rotate_secret"),
        ({"id": 5}, "id"),
    ]:
        res = world.admin.patch(url, json=body)
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == field
    assert world.admin.patch(f"{V1}/webhooks/999999", json={"active": True}).status_code == 404


def test_only_admins_manage_webhooks(world: World, make_user: Any) -> None:
    supervisor = make_user("supervisor")
    for user in (world.agent, world.contact, supervisor):
        assert user.get(f"{V1}/webhooks").status_code == 403
        res = user.post(f"{V1}/webhooks", json={"url": HOOK, "event_types": ["*"]})
        assert res.status_code == 403


def test_each_subscribed_event_is_queued_once_for_each_subscription(
    world: World, db: Session
) -> None:
    before = ticket(world, queue=world.q1, contact=world.contact_a, subject="Antes")
    crm = subscribe(world.admin, event_types=["ticket_created", "note_added"])
    everything = subscribe(world.admin)  # "*"
    paused = subscribe(world.admin, active=False)
    t = ticket(world, queue=world.q1, contact=world.contact_a)
    world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "Olá", "public": True})
    world.admin.post(f"{V1}/tickets/{t}/messages", json={"body": "nota", "public": False})

    read, queued = webhooks.fan_out(db)
    assert (read, queued) == (4, 2 + 3)  # the event before the subscriptions is not sent
    assert webhooks.fan_out(db) == (0, 0)  # the cursor moved past them: each once
    jobs = webhook_jobs(db)
    by_sub: dict[int, list[str]] = {}
    for job in jobs:
        by_sub.setdefault(job.payload["subscription_id"], []).append(job.payload["event"])
        assert job.payload["url"] == HOOK and job.ticket_id == t
        assert job.payload["data"]["ticket_id"] == t and job.payload["data"]["id"] > 0
        position = job.payload["data"]["id"]
        assert job.idempotency_key == f"webhook:{job.payload['subscription_id']}:{position}"
    assert by_sub == {
        crm["id"]: ["ticket_created", "note_added"],
        everything["id"]: ["ticket_created", "message_sent", "note_added"],
    }
    assert paused["id"] not in by_sub and before not in {j.ticket_id for j in jobs}
    secrets = {j.payload["secret"] for j in jobs}
    assert len(secrets) == 2 and all(s.startswith("whsec_") for s in secrets)
    # the jobs API never shows the secret
    shown = world.admin.get(f"{V1}/jobs/{jobs[0].id}").json()
    assert shown["payload"]["secret"] == "***"


def test_deleting_or_deactivating_a_subscription_cancels_its_queued_deliveries(
    world: World, db: Session
) -> None:
    """Deliveries still waiting for a subscription that was deleted or switched off are not
    sent: they are parked as dead, saying why (the jobs API shows it); others go on."""
    gone = subscribe(world.admin, event_types=["ticket_created"])
    off = subscribe(world.admin, event_types=["ticket_created"])
    kept = subscribe(world.admin, event_types=["ticket_created"])
    ticket(world, queue=world.q1, contact=world.contact_a)
    ticket(world, queue=world.q1, contact=world.contact_a, subject="Outro")
    assert webhooks.fan_out(db)[1] == 6

    assert world.admin.delete(f"{V1}/webhooks/{gone['id']}").status_code == 204
    res = world.admin.patch(f"{V1}/webhooks/{off['id']}", json={"active": False})
    assert res.status_code == 200, res.text

    states: dict[int, list[tuple[str, str]]] = {}
    for job in webhook_jobs(db):
        db.refresh(job)
        states.setdefault(job.payload["subscription_id"], []).append((job.state, job.last_error))
    assert states[gone["id"]] == [("dead", f"webhook subscription {gone['id']} deleted")] * 2
    assert states[off["id"]] == [("dead", f"webhook subscription {off['id']} deactivated")] * 2
    assert states[kept["id"]] == [("queued", "")] * 2
    dead = world.admin.get(f"{V1}/jobs", params={"state": "dead"}).json()
    assert len(dead["items"]) == 4
