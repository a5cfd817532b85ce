"""Split and merge from the ticket page (web/links.py), through the same workflows as the API;
refusals in Portuguese; customers cannot."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login

V1 = "/api/v1"


def _ticket(admin: Any, subject: str, contact_id: int) -> int:
    r = admin.post(
        f"{V1}/tickets", json={"subject": subject, "body": "Primeira", "contact_id": contact_id}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _messages(admin: Any, ticket_id: int) -> list[str]:
    entries = admin.get(f"{V1}/tickets/{ticket_id}/timeline").json()
    return [e["body_text"] for e in entries if e["entry"] == "message"]


def test_an_agent_splits_messages_off_and_merges_a_duplicate_from_the_page(
    client: TestClient, admin: Any, make_user: Any
) -> None:
    contact = admin.post(f"{V1}/contacts", json={"name": "Joana", "email": "j@p.example"}).json()
    first = _ticket(admin, "Caixa travado", contact["id"])
    admin.post(f"{V1}/tickets/{first}/messages", json={"body": "E a impressora também"})
    dup = _ticket(admin, "Caixa travado de novo", contact["id"])
    boss = make_user("supervisor", password=PASSWORD)
    token = _login(client, boss)

    page = client.get(f"/tickets/{first}").text
    assert "Dividir ou mesclar" in page
    ids = re.findall(r'name="message_ids" value="(\d+)"', page)
    assert len(ids) == 2
    refused = client.post(f"/tickets/{first}/split", data={"csrf_token": token, "subject": "X"})
    assert refused.status_code == 422 and "Escolha ao menos uma mensagem" in refused.text

    split = client.post(
        f"/tickets/{first}/split",
        data={"csrf_token": token, "message_ids": [ids[1]], "subject": "Impressora"},
        follow_redirects=False,
    )
    assert split.status_code == 303, split.text
    new = int(split.headers["location"].rsplit("/", 1)[1])
    assert _messages(admin, new) == ["E a impressora também"]
    assert _messages(admin, first) == ["Primeira"]

    bad = client.post(f"/tickets/{dup}/merge", data={"csrf_token": token, "into": "abc"})
    assert bad.status_code == 422 and "Informe o número do chamado que fica" in bad.text
    itself = client.post(f"/tickets/{dup}/merge", data={"csrf_token": token, "into": str(dup)})
    assert itself.status_code == 422
    assert "um chamado não pode ser mesclado nele mesmo" in itself.text
    merged = client.post(
        f"/tickets/{dup}/merge",
        data={"csrf_token": token, "into": f"#{first}"},
        follow_redirects=False,
    )
    assert merged.status_code == 303 and merged.headers["location"] == f"/tickets/{first}"
    assert admin.get(f"{V1}/tickets/{dup}").json()["status"] == "closed"

    customer = make_user("contact", contact_id=contact["id"], password=PASSWORD)
    client.cookies.clear()
    token = _login(client, customer)
    assert "Dividir ou mesclar" not in client.get(f"/tickets/{first}").text
    refused_customer = client.post(
        f"/tickets/{first}/merge", data={"csrf_token": token, "into": str(new)}
    )
    assert refused_customer.status_code == 403
    assert "só a equipe pode mesclar chamados" in refused_customer.text
    assert admin.get(f"{V1}/tickets/{first}").json()["status"] != "closed"
