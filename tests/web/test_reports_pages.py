"""The console's exports of the ticket list (the inbox's view and filters, CSV and XLSX) and the
metrics dashboard per role."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient

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
