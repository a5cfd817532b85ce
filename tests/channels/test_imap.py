"""IMAP polling against a real dovecot started by the test: an e-mail placed in the mailbox
becomes a ticket, stays unread, is never taken twice; the password is never shown back; a
failing login is kept on the mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.channels.conftest import CORPUS, customer_mail
from tests.channels.dovecot import Imap, dovecot_server


@pytest.fixture
def imap() -> Iterator[Imap]:
    with dovecot_server() as server:
        yield server


def _place(imap: Imap, *raws: bytes) -> None:
    client = IMAPClient(imap.host, port=imap.port, ssl=False)
    client.login(imap.user, imap.password)
    for raw in raws:
        client.append("INBOX", raw)
    client.logout()


def _connect(admin: Any, imap: Imap, **extra: Any) -> dict[str, Any]:
    made = admin.post(
        "/api/v1/mailboxes",
        json={"name": "Suporte", "host": imap.host, "port": imap.port, "tls": False,
              "username": imap.user, "password": imap.password, **extra},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def test_mail_placed_in_the_mailbox_becomes_a_ticket_once(
    imap: Imap, admin: Any, worker: Any
) -> None:
    _place(imap, (CORPUS / "gmail_pt_br.eml").read_bytes())
    box = _connect(admin, imap)
    assert box["password_set"] is True
    assert imap.password not in str(box)
    worker.drain()
    tickets = admin.get("/api/v1/tickets").json()["items"]
    assert [(t["subject"], t["channel"]) for t in tickets] == [("Erro ao emitir boleto", "email")]

    # a second message later; the first is not taken again
    second, _ = customer_mail("Mais uma dúvida", subject="Outra coisa")
    _place(imap, second)
    worker.drain()
    assert len(admin.get("/api/v1/tickets").json()["items"]) == 2
    items = admin.get("/api/v1/inbound").json()["items"]
    assert [i["channel"] for i in items] == [f"imap:{box['id']}"] * 2
    [polled] = admin.get("/api/v1/mailboxes").json()
    assert (polled["last_uid"], polled["last_error"]) == (2, "")
    assert polled["uidvalidity"] is not None
    assert imap.password not in str(polled)

    # BODY.PEEK[]: the messages stay unread for the people who read the mailbox too
    client = IMAPClient(imap.host, port=imap.port, ssl=False)
    client.login(imap.user, imap.password)
    client.select_folder("INBOX", readonly=True)
    assert client.search(["UNSEEN"]) == [1, 2]
    client.logout()

    # the mailbox's folder is recreated (a new UIDVALIDITY): read again, nothing duplicated
    admin.patch(f"/api/v1/mailboxes/{box['id']}", json={"folder": "INBOX"})
    worker.drain()
    assert len(admin.get("/api/v1/tickets").json()["items"]) == 2
    assert len(admin.get("/api/v1/inbound").json()["items"]) == 2


def test_a_failing_login_is_kept_on_the_mailbox(imap: Imap, admin: Any, worker: Any) -> None:
    box = _connect(admin, imap, password="senha-errada")
    worker.drain()
    [polled] = admin.get("/api/v1/mailboxes").json()
    assert polled["id"] == box["id"]
    assert polled["last_error"].startswith("LoginError")
    assert polled["last_polled_at"] is not None
    # the admin fixes the password; the audit trail says it changed, never what it is
    fixed = admin.patch(f"/api/v1/mailboxes/{box['id']}", json={"password": imap.password})
    assert fixed.status_code == 200
    _place(imap, customer_mail("Oi")[0])
    worker.drain()
    assert admin.get("/api/v1/mailboxes").json()[0]["last_error"] == ""
    assert len(admin.get("/api/v1/tickets").json()["items"]) == 1
    trail = admin.get(f"/api/v1/audit/mailbox/{box['id']}").json()["items"]
    assert [e["action"] for e in trail] == ["updated", "created"]
    assert trail[0]["changes"]["mailbox_password"] == {"before": None, "after": "alterado"}
    assert imap.password not in str(trail) and "senha-errada" not in str(trail)


def test_a_connection_test_logs_in_and_reads_nothing(imap: Imap, admin: Any) -> None:
    _place(imap, customer_mail("Oi")[0], customer_mail("Olá")[0])
    box = _connect(admin, imap)
    checked = admin.post(f"/api/v1/mailboxes/{box['id']}/test")
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"ok": True, "messages": 2, "error": ""}
    [after] = admin.get("/api/v1/mailboxes").json()
    assert (after["last_uid"], after["last_polled_at"]) == (0, None)  # nothing was taken
    assert admin.get("/api/v1/inbound").json()["items"] == []
    admin.patch(f"/api/v1/mailboxes/{box['id']}", json={"password": "senha-errada"})
    refused = admin.post(f"/api/v1/mailboxes/{box['id']}/test").json()
    assert refused["ok"] is False and refused["error"].startswith("LoginError")
    admin.patch(
        f"/api/v1/mailboxes/{box['id']}",
        json={"password": imap.password, "folder": "Pasta-que-nao-existe"},
    )
    missing = admin.post(f"/api/v1/mailboxes/{box['id']}/test").json()
    assert missing["ok"] is False and "LoginError" not in missing["error"]


def test_mailboxes_are_for_admins_and_validated(admin: Any, make_user: Any) -> None:
    supervisor = make_user("supervisor")
    body = {"name": "X", "host": "imap.example", "username": "u", "password": "p"}
    assert supervisor.post("/api/v1/mailboxes", json=body).status_code == 403
    bad = admin.post("/api/v1/mailboxes", json={**body, "port": 0})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "port"
    made = admin.post("/api/v1/mailboxes", json=body)
    assert made.status_code == 201
    again = admin.post("/api/v1/mailboxes", json=body)
    assert again.status_code == 409
    assert again.json()["detail"] == "a mailbox named 'X' exists already"
    assert admin.delete(f"/api/v1/mailboxes/{made.json()['id']}").status_code == 204
    assert admin.get("/api/v1/mailboxes").json() == []


def test_the_same_email_through_smtp_and_imap_is_one_ticket(
    imap: Imap, admin: Any, worker: Any, smtp_send: Any
) -> None:
    raw = (CORPUS / "outlook_pt_br.eml").read_bytes()
    smtp_send(raw)  # relayed by the MTA, and also delivered to the polled mailbox
    _place(imap, raw)
    _connect(admin, imap)
    worker.drain()
    assert len(admin.get("/api/v1/tickets").json()["items"]) == 1
    items = admin.get("/api/v1/inbound").json()["items"]
    assert sorted(i["reason"] for i in items) == [
        "",
        f"duplicate of inbound item {items[-1]['id']}",
    ]
