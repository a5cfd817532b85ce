"""The worker ingests the queue in chunks (one transaction for many e-mails): an e-mail that
fails half-way is rolled back alone, dead with its reason, and the others of its chunk become
tickets as if it had not been there."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from atende.settings import Settings
from tests.channels.conftest import SUPPORT, customer_mail


def _with_attachment(sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, SUPPORT, "Segue a nota"
    msg["Message-ID"] = "<com-anexo@loja.example>"
    msg.set_content("A nota está em anexo.")
    msg.add_attachment(b"%PDF-1.4 nota", maintype="application", subtype="pdf",
                       filename="nota.pdf")  # fmt: skip
    return msg.as_bytes()


def test_an_email_failing_half_way_is_dead_alone_and_its_chunk_goes_on(
    settings: Settings, smtp_send: Any, worker: Any, admin: Any
) -> None:
    # the attachments' disk is broken: where the directory should be there is a file
    settings.attachments_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.attachments_dir.write_text("não é um diretório")
    smtp_send(customer_mail("Primeiro", subject="Da Ana", sender="Ana <ana@loja.example>")[0])
    smtp_send(_with_attachment("Bruno <bruno@loja.example>"))  # fails after its ticket is made
    smtp_send(customer_mail("Terceiro", subject="Do Caio", sender="Caio <caio@loja.example>")[0])
    worker.drain()

    items = admin.get("/api/v1/inbound").json()["items"]
    states = sorted((i["provider_id"] == "<com-anexo@loja.example>", i["state"]) for i in items)
    assert states == [(False, "done"), (False, "done"), (True, "dead")]
    [dead] = [i for i in items if i["state"] == "dead"]
    assert dead["attempts"] == 1
    assert dead["reason"].startswith(("NotADirectoryError", "FileExistsError")), dead["reason"]
    assert dead["ticket_id"] is None
    tickets = admin.get("/api/v1/tickets").json()["items"]
    assert sorted(t["subject"] for t in tickets) == ["Da Ana", "Do Caio"]
    # nothing of the dead one was kept: no ticket, not even its new contact
    found = admin.get("/api/v1/contacts", params={"q": "bruno"}).json()["items"]
    assert found == []

    # the disk is fixed; an admin retries it and it becomes a ticket with its attachment
    settings.attachments_dir.unlink()
    assert admin.post(f"/api/v1/inbound/{dead['id']}/retry").status_code == 200
    worker.drain()
    [again] = [i for i in admin.get("/api/v1/inbound").json()["items"] if i["id"] == dead["id"]]
    assert (again["state"], again["attempts"]) == ("done", 2)
    ticket = admin.get(f"/api/v1/tickets/{again['ticket_id']}").json()
    assert ticket["subject"] == "Segue a nota"
    [contact] = admin.get("/api/v1/contacts", params={"q": "bruno"}).json()["items"]
    assert (contact["email"], contact["id"]) == ("bruno@loja.example", ticket["requester_id"])
