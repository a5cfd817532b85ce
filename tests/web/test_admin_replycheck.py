"""``/admin/reply-check``: an admin edits the reply check's lists as lines (a promise: its
phrase, a bar, its suggestion), saved through the API's service (validated alike, recorded with
who and what changed), sees each list's history and tries a text against the lists in force;
a refused list comes back as typed with the line at fault named in Portuguese; other roles get
a 404."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
BASE = "/admin/reply-check"


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {
        f"{BASE}/auxiliaries": lambda t: {"csrf_token": t, "lines": "vou"},
        f"{BASE}/try": lambda t: {"csrf_token": t, "text": "Vou estar vendo"},
    }
    assert_admins_only(client, make_user, [BASE, f"{BASE}/auxiliaries"], forms)


def test_an_admin_edits_a_list_as_lines_and_sees_its_history(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    csrf = _login(client, boss)
    home = client.get(BASE)
    assert home.status_code == 200
    assert "Promessas de prazo" in home.text and "Auxiliares do gerundismo" in home.text
    page = client.get(f"{BASE}/promises")
    assert page.status_code == 200
    assert "até amanhã | " in html.unescape(page.text)
    assert "Não foi alterada desde a instalação." in page.text
    lines = "até amanhã | Evite prometer prazo.\n\nem {n} minutos | Dê uma previsão sem prometer.\n"
    saved = client.post(
        f"{BASE}/promises", data={"csrf_token": csrf, "lines": lines}, follow_redirects=False
    )
    assert saved.status_code == 303
    stored = ok(boss.get(f"{V1}/reply-check/lists/promises"))
    assert stored["items"] == [
        {"phrase": "até amanhã", "suggestion": "Evite prometer prazo."},
        {"phrase": "em {n} minutos", "suggestion": "Dê uma previsão sem prometer."},
    ]
    [change] = ok(boss.get(f"{V1}/reply-check/lists/promises/changes"))["items"]
    assert change["actor_label"] == "Ana Admin" and len(change["after"]) == 2
    page = client.get(f"{BASE}/promises?saved=1").text
    assert "A lista foi salva" in page
    assert "Ana Admin" in page and "removeu" in page and "hoje sem falta" in page
    assert "(2 itens)" in page


def test_a_refused_list_names_the_line_and_keeps_the_text(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    before = ok(boss.get(f"{V1}/reply-check/lists/auxiliaries"))["items"]
    typed = "vou\n\nvai\nvou estar\n"
    page = client.post(f"{BASE}/auxiliaries", data={"csrf_token": csrf, "lines": typed})
    assert page.status_code == 422
    assert 'id="err-lines"' in page.text and "Linha 4:" in page.text
    assert typed.rstrip("\n") in html.unescape(page.text)
    page = client.post(
        f"{BASE}/promises", data={"csrf_token": csrf, "lines": "até amanhã\nhoje | Evite."}
    )
    assert page.status_code == 422 and "Linha 1:" in page.text
    assert ok(boss.get(f"{V1}/reply-check/lists/auxiliaries"))["items"] == before
    assert client.get(f"{BASE}/nada").status_code == 404


def test_a_text_is_tried_against_the_lists_in_force(client: TestClient, make_user: Any) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    tried = client.post(
        f"{BASE}/try",
        data={"csrf_token": csrf, "text": "Olá! Vou estar verificando e libero até amanhã."},
    )
    assert tried.status_code == 200
    text = html.unescape(tried.text)
    assert "“Vou estar verificando” — sugestão: Vou verificar" in text
    assert "até amanhã" in text and "Falta a pergunta de encerramento" in text
    fine = client.post(
        f"{BASE}/try", data={"csrf_token": csrf, "text": "Pronto, resolvido. Ficou alguma dúvida?"}
    )
    assert "Nada a avisar." in fine.text
    empty = client.post(f"{BASE}/try", data={"csrf_token": csrf, "text": "  "})
    assert empty.status_code == 422 and "Escreva um texto para testar." in empty.text
