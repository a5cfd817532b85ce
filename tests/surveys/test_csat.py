"""CSAT after every close (seed 000), through the API, the worker, a real SMTP sink and the
public survey page: the link only pre-selects, the button records once; second answers,
expired and forged links are refused with a page in Portuguese; the rating stays with the agent
of the moment it was sent, and shows on the timeline, the ticket's surveys and the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy.orm import Session

from atende.surveys.tokens import SALT
from atende.worker import Worker
from tests.notify.support import SmtpCollector
from tests.support.queries import assert_query_count
from tests.surveys.conftest import (
    V1,
    World,
    checked_score,
    form_token,
    made,
    mails,
    run_jobs,
    set_status,
    timeline,
)

PT = {"Accept-Language": "pt-BR"}
PASSWORD = "pesquisa-senha-forte-42"


def close_and_mail(admin: Any, world: World, worker: Worker, smtp: SmtpCollector) -> Any:
    set_status(admin, world.ticket, "closed")
    run_jobs(worker)
    [mail] = mails(smtp)
    return mail


def summary(user: Any, **params: Any) -> Any:
    start = params.pop("start", datetime.now(UTC) - timedelta(days=1))
    end = params.pop("end", datetime.now(UTC) + timedelta(days=1))
    query = {"from": start.isoformat(), "to": end.isoformat(), **params}
    return user.get(f"{V1}/surveys/summary", params=query)


def answer(client: TestClient, path: str, **form: str) -> Any:
    page = client.get(path, headers=PT)
    assert page.status_code == 200, page.text
    body = {"csrf_token": form_token(page.text), **form}
    return client.post(path.split("?")[0], data=body, headers=PT)


def test_a_close_mails_a_survey_whose_link_preselects_and_whose_button_records_once(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, client: TestClient
) -> None:
    mail = close_and_mail(admin, world, worker, smtp)
    assert mail.to == ["joana@padaria.example"]
    number = made(admin.get(f"{V1}/tickets/{world.ticket}"), 200)["number"]
    assert mail.subject == f"Como foi o atendimento do chamado #{number}?"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert "Escolha uma nota de 1 (péssimo) a 5 (ótimo)" in mail.text
    links = mail.links()
    assert sorted(links) == [1, 2, 3, 4, 5]

    # a link scanner follows every link: nothing is recorded
    for path in links.values():
        assert client.get(path, headers=PT).status_code == 200
    [sent] = made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert sent["status"] == "sent" and sent["score"] is None and sent["opened_at"] is not None
    assert sent["agent"] == {"id": world.agent.id, "name": "Paulo Agente"}

    page = client.get(links[4], headers=PT)
    assert page.status_code == 200
    assert "Como foi nosso atendimento?" in page.text
    assert checked_score(page.text) == 4
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = client.post(
        links[4].split("?")[0],
        data={"nota": "4", "comentario": "Resolveram rápido!", "csrf_token": form_token(page.text)},
        headers=PT,
    )
    assert done.status_code == 200, done.text
    assert "Obrigado!" in done.text and "Sua avaliação foi registrada" in done.text

    again = client.post(
        links[5].split("?")[0], data={"nota": "5", "csrf_token": form_token(page.text)}, headers=PT
    )  # the same form sent again (a double click, the back button)
    assert again.status_code == 409
    assert client.get(links[5], headers=PT).status_code == 409
    assert "Esta pesquisa já foi respondida" in again.text
    [rated] = made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert (rated["status"], rated["score"], rated["comment"]) == (
        "answered",
        4,
        "Resolveram rápido!",
    )

    [event] = [e for e in timeline(admin, world.ticket) if e["kind"] == "survey_answered"]
    assert event["after"]["score"] == 4 and event["detail"] == "Resolveram rápido!"
    body = made(summary(admin), 200)
    assert body["csat"] == [
        {"group": {}, "count": 1, "satisfied": 1, "satisfied_percent": 100.0, "average": 4.0}
    ]
    assert body["nps_transactional"][0]["count"] == 0


def test_an_expired_a_forged_and_an_unknown_link_are_refused_with_a_page_saying_so(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, client: TestClient
) -> None:
    mail = close_and_mail(admin, world, worker, smtp)
    path = mail.links()[5]
    page = client.get(path, headers=PT)
    token = form_token(page.text)

    forged = path.replace(
        mail.token, mail.token[:-3] + ("abc" if mail.token[-3:] != "abc" else "xyz")
    )
    for bad in (forged, "/pesquisa/nada", "/pesquisa/" + "a" * 400):
        shown = client.get(bad, headers=PT)
        assert shown.status_code == 404 and "Link inválido" in shown.text
    other_key = URLSafeSerializer("another-secret", salt=SALT).dumps({"i": 1})
    shown = client.post(f"/pesquisa/{other_key}", data={"nota": "5", "csrf_token": token})
    assert shown.status_code == 404 and "Link inválido" in shown.text
    right_key_unknown_id = URLSafeSerializer("test-secret-key-not-for-production", salt=SALT).dumps(
        {"i": 987654}
    )
    assert client.get(f"/pesquisa/{right_key_unknown_id}", headers=PT).status_code == 404

    with time_machine.travel(datetime.now(UTC) + timedelta(days=14, minutes=1)):
        expired = client.get(path, headers=PT)
        assert expired.status_code == 410 and "Link expirado" in expired.text
        posted = client.post(
            path.split("?")[0], data={"nota": "5", "csrf_token": token}, headers=PT
        )
        assert posted.status_code == 410 and "expirou" in posted.text
    [sent] = made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert sent["score"] is None
    assert made(summary(admin), 200)["csat"][0]["count"] == 0


def test_the_button_needs_its_form_and_a_score_in_the_scale(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, client: TestClient
) -> None:
    mail = close_and_mail(admin, world, worker, smtp)
    path = mail.links()[3].split("?")[0]
    no_form = client.post(path, data={"nota": "3"}, headers=PT)  # a cross-site POST has no token
    assert no_form.status_code == 403 and "O formulário expirou" in no_form.text
    page = client.get(path, headers=PT)
    assert checked_score(page.text) is None  # no score asked for: none chosen
    for bad in ("9", "0", "abc", ""):
        shown = client.post(
            path, data={"nota": bad, "csrf_token": form_token(page.text)}, headers=PT
        )
        assert shown.status_code == 422 and "Escolha uma nota." in shown.text
    shown = client.post(
        path,
        data={"nota": "1", "motivo": "hacker", "csrf_token": form_token(page.text)},
        headers=PT,
    )
    assert shown.status_code == 422 and "Escolha um dos motivos da lista." in shown.text
    [sent] = made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert sent["status"] == "sent"


def test_a_low_score_asks_why_and_the_reason_is_on_the_timeline(
    admin: Any,
    world: World,
    worker: Worker,
    smtp: SmtpCollector,
    client: TestClient,
    make_user: Any,
) -> None:
    mail = close_and_mail(admin, world, worker, smtp)
    page = client.get(mail.links()[1], headers=PT)
    assert "O que deu errado?" in page.text and "Demorou demais" in page.text
    assert checked_score(page.text) == 1
    done = client.post(
        mail.links()[1].split("?")[0],
        data={"nota": "1", "motivo": "slow", "comentario": "Dois dias sem resposta.",
              "csrf_token": form_token(page.text)},
        headers=PT,
    )  # fmt: skip
    assert done.status_code == 200
    [rated] = made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert (rated["score"], rated["reason"]) == (1, "slow")
    # the console's timeline tells it in Portuguese, with the agent the rating counts for
    make_user("supervisor", email="sara@solis.example", password=PASSWORD)
    login = client.get("/login")
    client.post("/login", data={"email": "sara@solis.example", "password": PASSWORD,
                                "csrf_token": form_token(login.text)})  # fmt: skip
    console = client.get(f"/tickets/{world.ticket}", headers=PT)
    assert console.status_code == 200, console.text
    assert "Pesquisa de satisfação (CSAT) enviada ao cliente" in console.text
    assert "A avaliação conta para Paulo Agente" in console.text
    assert "O cliente avaliou o atendimento com nota 1 de 5 (CSAT)" in console.text
    assert "Motivo: Demorou demais — Dois dias sem resposta." in console.text
    body = made(summary(admin), 200)["csat"][0]
    assert (body["count"], body["satisfied"], body["satisfied_percent"]) == (1, 0, 0.0)


def test_the_agent_assigned_when_the_survey_was_sent_keeps_the_rating(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, client: TestClient
) -> None:
    set_status(admin, world.ticket, "resolved")
    made(
        admin.patch(f"{V1}/tickets/{world.ticket}", json={"assignee_id": world.other_agent.id}), 200
    )
    made(admin.patch(f"{V1}/tickets/{world.ticket}", json={"assignee_id": world.agent.id}), 200)
    mail = close_and_mail(admin, world, worker, smtp)
    made(admin.patch(f"{V1}/tickets/{world.ticket}", json={}), 200)
    assert answer(client, mail.links()[5], nota="5").status_code == 200
    by_agent = made(summary(admin, group_by="agent"), 200)["csat"]
    assert by_agent == [{"group": {"agent_id": world.agent.id, "name": "Paulo Agente"},
                         "count": 1, "satisfied": 1, "satisfied_percent": 100.0,
                         "average": 5.0}]  # fmt: skip
    # each agent reads their own ratings; a customer none
    mine = made(summary(world.agent), 200)["csat"][0]
    assert mine["count"] == 1
    assert made(summary(world.other_agent), 200)["csat"][0]["count"] == 0
    [sent] = [e for e in timeline(admin, world.ticket) if e["kind"] == "survey_sent"]
    assert sent["after"]["agent_id"] == world.agent.id


def test_the_survey_pages_cost_a_fixed_number_of_statements(
    admin: Any,
    world: World,
    worker: Worker,
    smtp: SmtpCollector,
    client: TestClient,
    db: Session,
) -> None:
    mail = close_and_mail(admin, world, worker, smtp)
    path = mail.links()[5]
    # the invitation by its token's hash, the ticket, the opening noted
    with assert_query_count(db, 3):
        page = client.get(path, headers=PT)
    # the invitation (locked), its ticket; the answer, the timeline event and the ticket's
    # event count; the settle loop: the stream event, the SLA clocks' look-ups (7)
    with assert_query_count(db, 14):  # 13 + the reports' metric state read by the settle
        done = client.post(
            path.split("?")[0], data={"nota": "5", "csrf_token": form_token(page.text)},
            headers=PT,
        )  # fmt: skip
    assert done.status_code == 200
