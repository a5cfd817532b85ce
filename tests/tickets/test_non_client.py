"""Seed 002 items 30-31: a non-client's request is taken as fields (name, phone, e-mail,
segment, request), opened as a ticket and routed to the team that serves it by the playbook's
rules: a commercial interest to Clientes; paid support waits for the payment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from atende.db.base import utcnow
from atende.rules import playbook

V1 = "/api/v1"
LEAD = {
    "name": "Joana Prado",
    "phone": "(21) 99876-5432",
    "email": "joana@cafeteria.example",
    "segment": "Cafeteria",
    "request": "Vou abrir uma cafeteria e procuro um sistema com PDV e NFC-e.",
}


def _queues(admin: Any) -> dict[str, int]:
    names = ("Suporte N1", "Prime - Especialistas", "Financeiro", "Clientes", "Special Service")
    out = {}
    for name in names:
        res = admin.post(f"{V1}/queues", json={"name": name, "triage": name == "Suporte N1"})
        assert res.status_code == 201, res.text
        out[name] = res.json()["id"]
    return out


def test_a_commercial_lead_is_a_ticket_with_its_fields_routed_to_clientes(
    admin: Any, make_user: Any, db: Session
) -> None:
    queues = _queues(admin)
    playbook.load_playbook(db, now=utcnow())
    db.commit()
    agent = make_user("agent", queue_ids=[queues["Suporte N1"]])
    res = agent.post(f"{V1}/tickets/non-client", json=LEAD)
    assert res.status_code == 201, res.text
    t = res.json()
    assert t["queue_id"] == queues["Clientes"]
    assert t["subject"].startswith("Não cliente (Cafeteria, comercial): Vou abrir")
    assert t["channel"] == "phone" and set(t["tags"]) >= {"nao-cliente", "comercial"}
    assert t["custom_fields"] == {"nao_cliente": True, "segmento": "Cafeteria",
                                  "solicitacao": "comercial"}  # fmt: skip
    contact = admin.get(f"{V1}/contacts/{t['requester_id']}").json()
    assert (contact["name"], contact["email"], contact["organization_id"]) == (
        "Joana Prado", "joana@cafeteria.example", None)  # fmt: skip
    # the agent who took it keeps following it in the other department
    assert t["id"] in {
        i["id"] for i in agent.get(f"{V1}/tickets", params={"following": "true"}).json()["items"]
    }


def test_paid_support_for_a_non_client_waits_for_the_payment(
    admin: Any, make_user: Any, db: Session
) -> None:
    queues = _queues(admin)
    playbook.load_playbook(db, now=utcnow())
    db.commit()
    res = admin.post(
        f"{V1}/tickets/non-client",
        json={**LEAD, "purpose": "suporte", "request": "PDV não emite NFC-e"},
    )
    assert res.status_code == 201, res.text
    t = res.json()
    assert t["status"] == "pending_internal" and "aguardando-pagamento" in t["tags"]
    assert t["queue_id"] == queues["Suporte N1"]  # triage: support takes it once paid
    notes = [e for e in admin.get(f"{V1}/tickets/{t['id']}/timeline").json()
             if e["entry"] == "message" and not e["public"]]  # fmt: skip
    assert any("Financeiro" in n["body_text"] for n in notes), notes


def test_the_fields_are_required_and_checked(admin: Any, make_user: Any) -> None:
    for field, value in (("phone", "123"), ("email", "joana"), ("segment", ""),
                         ("request", ""), ("purpose", "venda")):  # fmt: skip
        res = admin.post(f"{V1}/tickets/non-client", json={**LEAD, field: value})
        assert res.status_code == 422, (field, res.text)
        assert [e["field"] for e in res.json()["errors"]] == [field], res.json()
    missing = {k: v for k, v in LEAD.items() if k != "phone"}
    res = admin.post(f"{V1}/tickets/non-client", json=missing)
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "phone"
    assert make_user("contact").post(f"{V1}/tickets/non-client", json=LEAD).status_code == 403
    assert admin.get(f"{V1}/tickets").json()["items"] == []  # nothing half-written
