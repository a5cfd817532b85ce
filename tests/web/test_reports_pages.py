"""The console's exports of the ticket list (the inbox's view and filters, CSV and XLSX) and the
metrics dashboard per role."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from atende.reports import estimate, rollup
from atende.reports.models import MetricFact
from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy

from .conftest import PASSWORD


def test_the_ticket_list_exports_with_its_filters(
    admin: Any, make_user: Any, web_login: Any, client: TestClient
) -> None:
    queue = admin.post("/api/v1/queues", json={"name": "Suporte"}).json()["id"]
    other = admin.post("/api/v1/queues", json={"name": "Financeiro"}).json()["id"]
    for subject, q in (
        ('=HYPERLINK("http://x";"clique")', queue),
        ("Boleto em dobro", other),
        ("Impressora – não imprime", queue),
    ):
        res = admin.post("/api/v1/tickets", json={"subject": subject, "queue_id": q})
        assert res.status_code == 201, res.text
    agent = make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[queue])
    web_login(agent)
    res = client.get("/exports/tickets", params={"view": "all", "sort": "created"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Número", "Assunto", "Status"]
    # the agent reads their queue's tickets only, newest first; a formula is shown, never run
    assert [r[1] for r in rows[1:]] == [
        "Impressora – não imprime",
        '\'=HYPERLINK("http://x";"clique")',
    ]
    # the filters of the inbox apply: a search narrows to one ticket
    found = client.get("/exports/tickets", params={"q": "impressora"})
    assert len(found.content.decode("utf-8-sig").splitlines()) == 2
    bad = client.get("/exports/tickets", params={"view": "nonsense"})
    assert bad.status_code == 422 and "nonsense" in bad.text
    xlsx = client.get("/exports/tickets", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(xlsx.content))
    text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    assert "Impressora – não imprime" in text and "Boleto" not in text
    assert "'=HYPERLINK" in text.replace("&quot;", '"').replace("&apos;", "'")


def test_the_dashboard_per_role_with_a_table_beside_each_chart(
    admin: Any, make_user: Any, web_login: Any, client: TestClient
) -> None:
    from datetime import UTC, datetime, timedelta

    import time_machine

    queue = admin.post("/api/v1/queues", json={"name": "Suporte"}).json()["id"]
    other = admin.post("/api/v1/queues", json={"name": "Financeiro"}).json()["id"]
    make_policy(
        admin,
        "24x7",
        make_calendar(
            admin, weekly_hours=EVERY_DAY_HOURS | {d: [["00:00", "24:00"]] for d in EVERY_DAY_HOURS}
        ),
        first_response_minutes=60,
    )
    agent = make_user("agent", name="Paulo", password=PASSWORD, queue_ids=[queue])
    colleague = make_user("agent", name="Rita", password=PASSWORD, queue_ids=[other])
    supervisor = make_user("supervisor", name="Sara", password=PASSWORD, queue_ids=[other])
    contact = admin.post("/api/v1/contacts", json={"name": "Joana", "email": "j@x.example"})
    today = datetime.now(UTC).replace(hour=13, minute=0, second=0, microsecond=0)
    for who, q, minutes in ((agent, queue, 30), (colleague, other, 90)):
        with time_machine.travel(today - timedelta(days=1), tick=False):
            t = admin.post("/api/v1/tickets", json={"subject": "PDV", "body": "Parou",
                           "queue_id": q, "contact_id": contact.json()["id"]}).json()  # fmt: skip
        with time_machine.travel(today - timedelta(days=1) + timedelta(minutes=minutes)):
            assert who.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "Oi"}).is_success
    web_login(agent)
    page = client.get("/tickets")
    assert 'href="/reports"' in page.text  # in the console's navigation
    html = client.get("/reports", params={"days": 7}).text
    assert "Meus números" in html and "Tempo de primeira resposta (TMPR)" in html
    assert "30 min" in html and "1 h 30 min" not in html  # Paulo's own answer only
    assert html.count("<table") == 3 and html.count("<canvas") == 3
    assert "1ª resposta</th><td>100.0 %" in html  # 30 min of 60: met
    assert 'src="/static/chart.umd.min.js"' in html and "<script>" not in html
    client.cookies.clear()
    web_login(supervisor)
    html = client.get("/reports").text
    assert "Minhas filas" in html and "1 h 30 min" in html and ">30 min<" not in html
    assert "1ª resposta</th><td>0.0 %" in html  # 90 min of 60: breached
    csv_text = client.get("/reports/export", params={"format": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("day;tmpr_count;")


def test_a_supervisor_turns_the_weekly_digest_on_and_off_from_the_dashboard(
    admin: Any, make_user: Any, web_login: Any, client: TestClient
) -> None:
    import re

    supervisor = make_user("supervisor", name="Sara", password=PASSWORD)
    agent = make_user("agent", name="Paulo", password=PASSWORD)
    web_login(agent)
    page = client.get("/reports").text
    assert "resumo semanal" not in page.lower()  # agents get no digest
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/tickets").text)
    assert token is not None
    refused = client.post("/reports/digest", data={"csrf_token": token.group(1), "weekly": "on"})
    assert refused.status_code == 404
    client.cookies.clear()
    web_login(supervisor)
    page = client.get("/reports").text
    assert "Ativar o resumo semanal" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    on = client.post("/reports/digest", data={"csrf_token": token.group(1), "weekly": "on"},
                     follow_redirects=False)  # fmt: skip
    assert on.status_code == 303
    page = client.get("/reports").text
    assert "Resumo semanal por e-mail ativado: o próximo sai" in page and "Desativar" in page
    assert supervisor.get("/api/v1/reports/digest").json()["weekly"] is True
    forged = client.post("/reports/digest", data={"csrf_token": "x", "weekly": "off"})
    assert forged.status_code == 403
    assert supervisor.get("/api/v1/reports/digest").json()["weekly"] is True
    off = client.post("/reports/digest", data={"csrf_token": token.group(1), "weekly": "off"},
                      follow_redirects=False)  # fmt: skip
    assert off.status_code == 303
    assert supervisor.get("/api/v1/reports/digest").json()["weekly"] is False


def test_the_replies_sent_with_warnings_page(
    admin: Any, make_user: Any, web_login: Any, client: TestClient
) -> None:
    queue = admin.post("/api/v1/queues", json={"name": "Suporte"}).json()["id"]
    ana = make_user("agent", name="Ana", password=PASSWORD, queue_ids=[queue])
    ticket = admin.post("/api/v1/tickets", json={
        "subject": "Impressora", "body": "Não imprime", "queue_id": queue}).json()  # fmt: skip
    for body in ("Vou estar verificando amanhã.", "Resolvido. Ficou alguma dúvida?"):
        assert ana.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"body": body}).is_success
    boss = make_user("supervisor", name="Sara", password=PASSWORD)
    web_login(boss)
    assert 'href="/reports/reply-check?days=30"' in client.get("/reports").text
    page = client.get("/reports/reply-check", params={"days": 7})
    assert page.status_code == 200
    html = page.text
    assert "Respostas enviadas com alertas" in html
    row = html.split('<th scope="row">Ana</th>', 1)[1].split("</tr>", 1)[0]
    assert [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:4]] == ["2", "1", "50.0 %"]
    assert "Vou estar verificando" in html and f"/tickets/{ticket['id']}" in html
    exported = client.get("/reports/reply-check/export", params={"days": 7, "format": "csv"})
    assert exported.status_code == 200
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Chamado;Assunto;Agente") and "Gerundismo" in lines[1]
    client.cookies.clear()
    contact = admin.post("/api/v1/contacts", json={"name": "Joana", "email": "j@x.example"})
    web_login(make_user("contact", contact_id=contact.json()["id"], password=PASSWORD))
    assert client.get("/reports/reply-check").status_code == 404


def test_the_dashboard_says_when_its_medians_are_estimated(
    admin: Any, make_user: Any, web_login: Any, client: TestClient, db: Any, monkeypatch: Any
) -> None:
    """Read from the rollup (a large period), the dashboard says its medians and p90s are
    estimated; read from the facts, it says nothing."""
    ticket = admin.post("/api/v1/tickets", json={"subject": "Medido"}).json()["id"]
    now = datetime.now(UTC)
    for n in range(60):
        ended = now - timedelta(days=1 + n % 20, hours=n % 7)
        db.add(MetricFact(ticket_id=ticket, metric="tmpr", channel="chat", started_at=ended -
                          timedelta(minutes=n + 1), ended_at=ended, seconds=60 * (n + 1),
                          business_seconds=60 * (n + 1)))  # fmt: skip
    db.flush()
    assert rollup.catch_up(db) >= 60
    supervisor = make_user("supervisor", name="Sara", password=PASSWORD)
    web_login(supervisor)
    note = "Medianas e percentis 90 estimados"
    assert note not in client.get("/reports").text  # few facts: read exactly
    monkeypatch.setattr(estimate, "EXACT_LIMIT", 10)
    html = client.get("/reports").text
    assert note in html and "data-estimated" in html


def test_a_page_asked_with_a_bad_parameter_answers_a_page_naming_it(
    make_user: Any, web_login: Any, client: TestClient
) -> None:
    """A console page's query parameter out of range is said on a page, in Portuguese, naming
    the parameter and what was given (it was a problem+json a browser shows as raw text)."""
    web_login(make_user("supervisor", name="Sara", password=PASSWORD))
    res = client.get("/reports", params={"days": "abc"})
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("text/html")
    assert "days (“abc”)" in res.text and "número inteiro" in res.text
    assert 'lang="pt-BR"' in res.text
