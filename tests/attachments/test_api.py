"""Attachments over the HTTP API: round trip, deduplication, safe serving, and access."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session

from tests.attachments.conftest import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
EVIL_HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def upload(
    user: Any,
    ticket_id: int,
    content: bytes = PNG,
    *,
    filename: str = "tela.png",
    content_type: str = "image/png",
    **fields: Any,
) -> Any:
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}
    return user.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        files={"file": (filename, content, content_type)},
        data=data,
    )


def stored_files(settings: Any) -> list[Path]:
    root = Path(settings.attachments_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def agent(make_user: Any, world: World) -> Any:
    return make_user("agent", queue_ids=[world.queue_a.id])


@pytest.fixture
def contact_a(make_user: Any, world: World) -> Any:
    return make_user("contact", contact_id=world.contact_a.id)


@pytest.fixture
def contact_b(make_user: Any, world: World) -> Any:
    return make_user("contact", contact_id=world.contact_b.id)


def test_upload_and_download_round_trip(
    agent: Any, world: World, db: Session, settings: Any
) -> None:
    res = upload(
        agent, world.ticket.id, PNG, filename="tela do erro.png", content_type="text/plain"
    )
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["ticket_id"] == world.ticket.id
    assert body["filename"] == "tela do erro.png"
    assert body["content_type"] == "image/png"  # from the bytes, not from the client
    assert body["size"] == len(PNG)
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["public"] is True
    assert body["uploaded_by_id"] == agent.id

    meta = agent.get(f"/api/v1/attachments/{body['id']}")
    assert meta.status_code == 200
    assert meta.json() == body

    got = agent.get(body["content_url"])
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-length"] == str(len(PNG))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"tela do erro.png\"; filename*=UTF-8''tela%20do%20erro.png"
    )

    listed = agent.get(f"/api/v1/tickets/{world.ticket.id}/attachments")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]

    digest = body["sha256"]
    assert stored_files(settings) == [
        Path(settings.attachments_dir) / digest[:2] / digest[2:4] / digest
    ]
    timeline = agent.get(f"/api/v1/tickets/{world.ticket.id}/timeline").json()
    assert [
        (e["kind"], e["detail"], e["actor_user_id"], e["position"], e["after"]["attachment_id"])
        for e in timeline
    ] == [("attachment_added", "tela do erro.png", agent.id, 1, body["id"])]


def test_uploads_take_the_next_timeline_positions_and_contacts_see_only_public_ones(
    agent: Any, contact_a: Any, world: World, make_message: Any
) -> None:
    make_message(world.ticket, public=True)  # position 1
    assert upload(agent, world.ticket.id, b"one", filename="one.txt").status_code == 201
    assert (
        upload(agent, world.ticket.id, b"two", filename="two.txt", public=False).status_code == 201
    )
    url = f"/api/v1/tickets/{world.ticket.id}/timeline"
    staff_view = [(e["position"], e.get("detail")) for e in agent.get(url).json()]
    assert staff_view == [(1, None), (2, "one.txt"), (3, "two.txt")]
    customer_view = [(e["position"], e.get("detail")) for e in contact_a.get(url).json()]
    assert customer_view == [(1, None), (2, "one.txt")]


def test_identical_content_is_stored_once(agent: Any, world: World, settings: Any) -> None:
    first = upload(agent, world.ticket.id, PNG, filename="a.png").json()
    second = upload(agent, world.ticket.id, PNG, filename="b.png").json()
    other = upload(agent, world.ticket.id, PNG + b"!", filename="c.png").json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"] != other["sha256"]
    assert len(stored_files(settings)) == 2
    assert agent.get(second["content_url"]).content == PNG
    names = [
        a["filename"]
        for a in agent.get(f"/api/v1/tickets/{world.ticket.id}/attachments").json()["items"]
    ]
    assert names == ["a.png", "b.png", "c.png"]


def test_script_bearing_html_is_served_as_a_download_with_nosniff(agent: Any, world: World) -> None:
    res = upload(
        agent, world.ticket.id, EVIL_HTML, filename="fatura.pdf", content_type="application/pdf"
    )
    assert res.status_code == 201
    assert res.json()["content_type"] == "text/html"  # the declared PDF type is not trusted
    got = agent.get(res.json()["content_url"])
    assert got.content == EVIL_HTML
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["content-type"].startswith("text/html")


def test_unrecognised_bytes_are_octet_stream_and_text_is_plain(agent: Any, world: World) -> None:
    binary = upload(
        agent,
        world.ticket.id,
        b"\x00\x01\x02\xfe\xff" * 10,
        filename="x.exe",
        content_type="image/png",
    ).json()
    assert binary["content_type"] == "application/octet-stream"
    script = upload(
        agent,
        world.ticket.id,
        b"<script>alert(1)</script>",
        filename="a.js",
        content_type="text/html",
    ).json()
    assert script["content_type"] == "text/plain"
    csv = upload(
        agent,
        world.ticket.id,
        b"loja;total\nCentro;12,50\n",
        filename="vendas.csv",
        content_type="text/csv",
    ).json()
    assert csv["content_type"] == "text/csv"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\drivers\\etc\\hosts", "hosts"),
        ("/var/lib/atende/data/secret_key", "secret_key"),
        ("..", "attachment"),
        ("fatura\u202egpj.exe", "faturagpj.exe"),
    ],
)
def test_path_traversal_and_control_characters_in_names_are_harmless(
    agent: Any, world: World, settings: Any, raw: str, expected: str
) -> None:
    res = upload(
        agent, world.ticket.id, b"conteudo " + raw.encode(), filename=raw, content_type="text/plain"
    )
    assert res.status_code == 201, res.text
    assert res.json()["filename"] == expected
    # The bytes live only under the storage root, named by their hash.
    files = stored_files(settings)
    assert [p.name for p in files] == [res.json()["sha256"]]
    assert not any(p.name in ("passwd", "hosts") for p in Path(settings.data_dir).rglob("*"))
    disposition = agent.get(res.json()["content_url"]).headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.endswith("filename*=UTF-8''" + quote(expected, safe=""))


def test_control_and_bidi_characters_sent_raw_are_removed(agent: Any, world: World) -> None:
    # httpx would percent-encode these, so the multipart body is written by hand.
    raw_name = "nota\x00\x1b[31m\u202e.txt\tfinal.txt".encode()
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="'
        + raw_name
        + b'"\r\nContent-Type: text/plain\r\n\r\nconteudo\r\n--b0undary--\r\n'
    )
    res = agent.post(
        f"/api/v1/tickets/{world.ticket.id}/attachments",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b0undary"},
    )
    assert res.status_code == 201, res.text
    assert res.json()["filename"] == "nota[31m.txt final.txt"
    disposition = agent.get(res.json()["content_url"]).headers["content-disposition"]
    assert "\x1b" not in disposition and "\x00" not in disposition


def test_a_long_name_keeps_its_extension(agent: Any, world: World) -> None:
    res = upload(agent, world.ticket.id, b"x", filename="relatório " * 40 + ".pdf")
    name = res.json()["filename"]
    assert len(name) <= 200 and name.endswith(".pdf")


def test_unicode_names_are_sent_as_rfc8187(agent: Any, world: World) -> None:
    res = upload(agent, world.ticket.id, b"x", filename="relatório de São Paulo.txt")
    disposition = agent.get(res.json()["content_url"]).headers["content-disposition"]
    assert disposition == (
        'attachment; filename="relat_rio de S_o Paulo.txt"; '
        "filename*=UTF-8''relat%C3%B3rio%20de%20S%C3%A3o%20Paulo.txt"
    )


def test_contact_of_another_organization_gets_404_like_a_missing_id(
    agent: Any, contact_b: Any, world: World, settings: Any
) -> None:
    att = upload(agent, world.ticket.id).json()
    missing = contact_b.get("/api/v1/attachments/999999999")
    for url in (f"/api/v1/attachments/{att['id']}", att["content_url"]):
        res = contact_b.get(url)
        assert res.status_code == 404
        assert res.json()["detail"] == missing.json()["detail"]
        assert "PNG" not in res.text
    assert contact_b.get(f"/api/v1/tickets/{world.ticket.id}/attachments").status_code == 404
    before = stored_files(settings)
    denied = upload(contact_b, world.ticket.id, b"other org's bytes")
    assert denied.status_code == 404
    assert stored_files(settings) == before


def test_contact_sees_public_attachments_of_their_organization_only(
    agent: Any, contact_a: Any, world: World, make_message: Any
) -> None:
    public = upload(agent, world.ticket.id, b"publico", filename="pub.txt").json()
    internal = upload(agent, world.ticket.id, b"interno", filename="int.txt", public=False).json()
    note = make_message(world.ticket, public=False, body="Nota interna")
    on_note = upload(
        agent, world.ticket.id, b"log interno", filename="log.txt", message_id=note.id
    ).json()
    assert internal["public"] is False
    assert on_note["public"] is False and on_note["message_id"] == note.id

    assert contact_a.get(public["content_url"]).content == b"publico"
    for att in (internal, on_note):
        assert contact_a.get(f"/api/v1/attachments/{att['id']}").status_code == 404
        assert contact_a.get(att["content_url"]).status_code == 404
        assert agent.get(att["content_url"]).status_code == 200
    listed = contact_a.get(f"/api/v1/tickets/{world.ticket.id}/attachments").json()["items"]
    assert [a["id"] for a in listed] == [public["id"]]


def test_an_internal_note_cannot_carry_a_public_attachment(
    agent: Any, world: World, make_message: Any, settings: Any
) -> None:
    note = make_message(world.ticket, public=False)
    res = upload(agent, world.ticket.id, b"x", message_id=note.id, public=True)
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"] == "public"
    assert stored_files(settings) == []


def test_contact_uploads_are_public_and_cannot_target_internal_notes(
    contact_a: Any, agent: Any, world: World, make_message: Any
) -> None:
    ok = upload(contact_a, world.ticket.id, b"nota fiscal", filename="nf.txt")
    assert ok.status_code == 201 and ok.json()["public"] is True
    assert upload(contact_a, world.ticket.id, b"x", public=False).status_code == 422
    note = make_message(world.ticket, public=False)
    res = upload(contact_a, world.ticket.id, b"x", message_id=note.id)
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"] == "message_id"


def test_agent_outside_the_queue_gets_404_and_an_assignee_gets_in(
    agent: Any, make_user: Any, world: World, db: Session
) -> None:
    att = upload(agent, world.ticket.id).json()
    outsider = make_user("agent", queue_ids=[world.queue_b.id])
    for url in (
        f"/api/v1/attachments/{att['id']}",
        att["content_url"],
        f"/api/v1/tickets/{world.ticket.id}/attachments",
    ):
        assert outsider.get(url).status_code == 404
    assert upload(outsider, world.ticket.id).status_code == 404

    world.ticket.assignee_id = outsider.id
    db.commit()
    assert outsider.get(att["content_url"]).status_code == 200


def test_supervisor_sees_every_ticket(make_user: Any, agent: Any, world: World) -> None:
    att = upload(agent, world.ticket.id, public=False).json()
    supervisor = make_user("supervisor")
    assert supervisor.get(att["content_url"]).content == PNG


def test_no_token_is_401(client: Any, agent: Any, world: World) -> None:
    att = upload(agent, world.ticket.id).json()
    assert client.get(att["content_url"]).status_code == 401
    res = client.post(
        f"/api/v1/tickets/{world.ticket.id}/attachments",
        files={"file": ("a.txt", b"x", "text/plain")},
    )
    assert res.status_code == 401


def test_missing_ticket_is_404_and_nothing_is_stored(agent: Any, settings: Any) -> None:
    res = upload(agent, 987654321)
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert stored_files(settings) == []
    assert agent.get("/api/v1/attachments/9223372036854775808").status_code == 422


def test_closed_ticket_takes_no_attachment(agent: Any, world: World, db: Session) -> None:
    world.ticket.status = "closed"
    db.commit()
    res = upload(agent, world.ticket.id)
    assert res.status_code == 409


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        (
            {"content": b"a=1", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            415,
            "file",
        ),
        ({"json": {"file": "x"}}, 415, "file"),
        (
            {"data": {"public": "true"}, "files": {"other": ("a.txt", b"x", "text/plain")}},
            422,
            "file",
        ),
        (
            {
                "content": b'--b\r\nContent-Disposition: form-data; name="public"\r\n\r\ntrue',
                "headers": {"content-type": "multipart/form-data; boundary=b"},
            },
            422,
            None,
        ),
        (
            {"data": {"public": "talvez"}, "files": {"file": ("a.txt", b"x", "text/plain")}},
            422,
            "public",
        ),
        (
            {"data": {"message_id": "-1"}, "files": {"file": ("a.txt", b"x", "text/plain")}},
            422,
            "message_id",
        ),
        (
            {"data": {"message_id": "99999999"}, "files": {"file": ("a.txt", b"x", "text/plain")}},
            422,
            "message_id",
        ),
    ],
)
def test_malformed_uploads_are_refused_with_problem_json(
    agent: Any,
    world: World,
    settings: Any,
    kwargs: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    res = agent.post(f"/api/v1/tickets/{world.ticket.id}/attachments", **kwargs)
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    if field:
        assert res.json()["errors"][0]["field"] == field
    assert stored_files(settings) == []


def test_message_of_another_ticket_is_refused(
    agent: Any, world: World, make_ticket: Any, make_message: Any
) -> None:
    other = make_ticket(organization=world.org_a, queue=world.queue_a, requester=world.contact_a)
    message = make_message(other, public=True)
    res = upload(agent, world.ticket.id, message_id=message.id)
    assert res.status_code == 422
    ok = upload(agent, other.id, message_id=message.id)
    assert ok.status_code == 201 and ok.json()["message_id"] == message.id


def test_list_is_paginated_with_a_cursor(agent: Any, world: World) -> None:
    ids = [upload(agent, world.ticket.id, bytes([i])).json()["id"] for i in range(3)]
    url = f"/api/v1/tickets/{world.ticket.id}/attachments"
    first = agent.get(url, params={"limit": 2}).json()
    assert [a["id"] for a in first["items"]] == ids[:2]
    second = agent.get(url, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


def test_a_contact_cannot_bind_a_staff_only_attachment_to_read_it(
    agent: Any, contact_a: Any, world: World
) -> None:
    """The high-severity leak: binding an internal attachment to a contact's public message made
    it public. A contact binds only what it may read, and a denied id looks like a missing one."""
    internal = upload(agent, world.ticket.id, b"planilha interna", public=False).json()
    url = f"/api/v1/tickets/{world.ticket.id}/messages"
    res = contact_a.post(
        url, json={"body": "see file", "public": True, "attachment_ids": [internal["id"]]}
    )
    assert res.status_code == 422
    missing = contact_a.post(
        url, json={"body": "see file", "public": True, "attachment_ids": [internal["id"] + 1000]}
    )
    assert missing.status_code == 422
    assert res.json()["errors"] == [
        {**missing.json()["errors"][0], "message": res.json()["errors"][0]["message"]}
    ]
    assert str(internal["id"] + 1000) not in res.json()["errors"][0]["message"]
    assert contact_a.get(internal["content_url"]).status_code == 404
    assert agent.get(f"/api/v1/attachments/{internal['id']}").json()["public"] is False
    timeline = agent.get(f"/api/v1/tickets/{world.ticket.id}/timeline").json()
    assert not [e for e in timeline if e.get("body_text") == "see file"]  # nothing half-written


def test_binding_never_changes_an_attachments_visibility(agent: Any, world: World) -> None:
    url = f"/api/v1/tickets/{world.ticket.id}/messages"
    internal = upload(agent, world.ticket.id, b"interno", public=False).json()
    public = upload(agent, world.ticket.id, b"publico").json()

    res = agent.post(
        url, json={"body": "Resposta", "public": True, "attachment_ids": [internal["id"]]}
    )
    assert res.status_code == 422
    assert "internal" in res.json()["errors"][0]["message"]
    res = agent.post(url, json={"body": "Nota", "public": False, "attachment_ids": [public["id"]]})
    assert res.status_code == 422
    assert "public" in res.json()["errors"][0]["message"]

    note = agent.post(
        url, json={"body": "Nota", "public": False, "attachment_ids": [internal["id"]]}
    )
    assert note.status_code == 201 and note.json()["attachment_ids"] == [internal["id"]]
    reply = agent.post(
        url, json={"body": "Resposta", "public": True, "attachment_ids": [public["id"]]}
    )
    assert reply.status_code == 201 and reply.json()["attachment_ids"] == [public["id"]]
    assert agent.get(f"/api/v1/attachments/{internal['id']}").json()["public"] is False
    assert agent.get(f"/api/v1/attachments/{public['id']}").json()["public"] is True


def test_a_contact_binds_its_own_public_upload(contact_a: Any, world: World) -> None:
    mine = upload(contact_a, world.ticket.id, b"nota fiscal", filename="nf.txt").json()
    res = contact_a.post(
        f"/api/v1/tickets/{world.ticket.id}/messages",
        json={"body": "Segue a nota", "public": True, "attachment_ids": [mine["id"]]},
    )
    assert res.status_code == 201 and res.json()["attachment_ids"] == [mine["id"]]
    assert contact_a.get(mine["content_url"]).content == b"nota fiscal"
