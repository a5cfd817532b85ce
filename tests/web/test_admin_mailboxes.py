"""``/admin/mailboxes``: an admin connects IMAP mailboxes (the password never shown back, left
blank to keep it), tests the connection against a real dovecot, disconnects them, and retries
the inbound messages that could not be read, all through the API's services (audited);
refusals come back in Portuguese with what was typed; other roles get a 404."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from atende.channels import pipeline
from atende.db.base import utcnow
from tests.channels.conftest import CORPUS, customer_mail, worker  # noqa: F401 - fixture
from tests.channels.dovecot import Imap, dovecot_server
from tests.channels.test_imap import _place
from tests.notify.support import free_port

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
BASE = "/admin/mailboxes"


@pytest.fixture
def imap() -> Iterator[Imap]:
    with dovecot_server() as server:
        yield server


def box_form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"csrf_token": csrf, "name": "Suporte", "host": "imap.example.com", "port": "993",
            "tls": "true", "username": "suporte@example.com", "password": "", "folder": "INBOX",
            "active": "true"}  # fmt: skip
    return {**base, **fields}


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {
        f"{BASE}/new": lambda t: box_form(t, password="x"),
        f"{BASE}/inbound/1/retry": lambda t: {"csrf_token": t},
    }
    assert_admins_only(client, make_user, [BASE, f"{BASE}/new"], forms)
    assert ok(make_user("admin").get(f"{V1}/mailboxes")) == []


def test_a_mailbox_is_connected_edited_and_disconnected_and_its_password_never_shown(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    csrf = _login(client, boss)
    made = client.post(
        f"{BASE}/new", data=box_form(csrf, password="segredo-imap-1"), follow_redirects=False
    )
    assert made.status_code == 303, made.text
    [box] = ok(boss.get(f"{V1}/mailboxes"))
    assert (box["host"], box["port"], box["tls"], box["password_set"]) == (
        "imap.example.com", 993, True, True
    )  # fmt: skip
    listed = client.get(made.headers["location"]).text
    assert "A caixa foi salva." in listed and "suporte@example.com" in listed
    assert "ainda não" in listed
    edit = client.get(f"{BASE}/{box['id']}")
    assert "segredo-imap-1" not in edit.text and 'type="password"' in edit.text
    # changed with the password left blank: it is kept (the audit says only the folder moved)
    client.post(f"{BASE}/{box['id']}", data=box_form(csrf, folder="Suporte/Entrada"))
    assert ok(boss.get(f"{V1}/mailboxes"))[0]["folder"] == "Suporte/Entrada"
    trail = ok(boss.get(f"{V1}/audit/mailbox/{box['id']}"))["items"]
    assert [e["action"] for e in trail] == ["updated", "created"]
    assert "mailbox_password" not in trail[0]["changes"] and "folder" in trail[0]["changes"]
    assert "segredo-imap-1" not in str(trail)
    # refused: a port out of range, a name taken, no password for a new one
    bad = client.post(f"{BASE}/new", data=box_form(csrf, name="Outra", port="0", password="x"))
    assert bad.status_code == 422 and 'id="err-port"' in bad.text
    assert "Deve ser no mínimo 1" in bad.text and 'value="Outra"' in bad.text
    taken = client.post(f"{BASE}/new", data=box_form(csrf, password="x"))
    assert taken.status_code == 422 and 'id="err-name"' in taken.text
    assert "Já existe" in html.unescape(taken.text)
    nopass = client.post(f"{BASE}/new", data=box_form(csrf, name="Outra"))
    assert nopass.status_code == 422 and 'id="err-password"' in nopass.text
    gone = client.post(f"{BASE}/{box['id']}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "Nenhuma caixa conectada." in gone.text
    assert ok(boss.get(f"{V1}/mailboxes")) == []


def test_the_connection_test_says_whether_the_mailbox_answers(
    client: TestClient, make_user: Any, imap: Imap
) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    _place(imap, customer_mail("Oi")[0], customer_mail("Olá")[0])
    client.post(
        f"{BASE}/new",
        data=box_form(csrf, host=imap.host, port=str(imap.port), tls="", username=imap.user,
                      password=imap.password),
    )  # fmt: skip
    [box] = ok(boss.get(f"{V1}/mailboxes"))
    tested = client.post(f"{BASE}/{box['id']}/test", data={"csrf_token": csrf})
    assert tested.status_code == 200
    assert "Conectado: a pasta tem 2 mensagens." in tested.text
    client.post(
        f"{BASE}/{box['id']}",
        data=box_form(csrf, host=imap.host, port=str(imap.port), tls="", username=imap.user,
                      password="senha-errada"),
    )  # fmt: skip
    failed = client.post(f"{BASE}/{box['id']}/test", data={"csrf_token": csrf}).text
    assert "A conexão falhou: LoginError" in failed


def test_a_closed_port_is_said_plainly(client: TestClient, make_user: Any) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    client.post(
        f"{BASE}/new",
        data=box_form(csrf, host="127.0.0.1", port=str(free_port()), tls="", password="x"),
    )
    [box] = ok(boss.get(f"{V1}/mailboxes"))
    failed = client.post(f"{BASE}/{box['id']}/test", data={"csrf_token": csrf}).text
    assert "A conexão falhou: ConnectionRefusedError" in failed


def test_a_message_that_could_not_be_read_is_retried(
    client: TestClient,
    make_user: Any,
    db: Session,
    worker: Any,  # noqa: F811
) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    raw = (CORPUS / "no_sender.eml").read_bytes()
    item, _ = pipeline.store(
        db, kind="email", channel="smtp", provider_id="<sem-remetente@x>", raw=raw, now=utcnow()
    )
    db.commit()
    worker.drain()
    page = client.get(BASE).text
    assert "Unparseable: no valid sender address" in page and f'data-inbound="{item.id}"' in page
    retried = client.post(f"{BASE}/inbound/{item.id}/retry", data={"csrf_token": csrf})
    assert retried.status_code == 200
    assert "A mensagem voltou para a fila" in retried.text
    assert ok(boss.get(f"{V1}/inbound", params={"state": "queued"}))["items"][0]["id"] == item.id
    again = client.post(f"{BASE}/inbound/{item.id}/retry", data={"csrf_token": csrf})
    assert again.status_code == 409 and "não" in again.text
