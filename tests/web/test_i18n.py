"""The pages' languages: every message translated, the visitor's locale and timezone, dates,
numbers and relative times formatted for the locale (web/i18n.py)."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from atende.web import i18n

from .conftest import PASSWORD
from .test_tickets import new_ticket

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _tools_messages() -> Any:
    spec = importlib.util.spec_from_file_location("messages", ROOT / "tools" / "messages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fields(text: str) -> set[str]:
    """The ``{name}`` fields of an error template (``{{`` is a brace)."""
    return set(re.findall(r"(?<!\{)\{(\w+)(?:![rsa])?(?::[^}]*)?\}", text.replace("{{", "")))


@pytest.mark.nodb
def test_every_message_of_the_web_has_a_brazilian_portuguese_translation() -> None:
    """`make messages` extracts them; a new string without a translation fails here."""
    extracted = _tools_messages().extract()
    path = ROOT / "src/atende/locale/pt_BR/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="pt_BR")
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        untranslated = found is None or not found.string or found.fuzzy
        if not untranslated and isinstance(found.string, tuple):
            untranslated = not all(found.string)  # a plural form left empty
        if untranslated:
            problems.append(f"untranslated: {message.id!r}")
            continue
        if PLACEHOLDER.findall(str(message.id)) and set(
            PLACEHOLDER.findall(str(message.id))
        ) != set(PLACEHOLDER.findall(str(found.string))):
            problems.append(f"placeholders differ: {message.id!r} -> {found.string!r}")
        if _fields(str(message.id)) != _fields(str(found.string)):
            problems.append(f"{{fields}} differ: {message.id!r} -> {found.string!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.nodb
def test_locale_tags_and_accept_language_map_onto_the_supported_locales() -> None:
    assert i18n.supported("pt-BR") == "pt_BR"
    assert i18n.supported("pt") == "pt_BR"
    assert i18n.supported("en-US") == "en"
    assert i18n.supported("fr") is None
    assert i18n.supported("nonsense tag") is None
    assert i18n.from_accept_language("en-US,en;q=0.9,pt;q=0.5") == "en"
    assert i18n.from_accept_language("fr-FR,pt-BR;q=0.8,en;q=0.7") == "pt_BR"
    assert i18n.from_accept_language("de, fr;q=0.5") is None
    assert i18n.from_accept_language("en;q=0, pt;q=0.1") == "pt_BR"


@pytest.mark.nodb
def test_dates_numbers_and_relative_times_follow_the_locale_and_zone() -> None:
    now = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    with i18n.use(i18n.Language("pt_BR", "America/Sao_Paulo")):
        assert i18n.datetime_text(now) == "10/03/2026 12:00"
        assert i18n.time_text(now) == "12:00"
        assert i18n.number_text(1234567) == "1.234.567"
        assert i18n.relative_text(now + timedelta(hours=2), now) == "em 2 horas"
        assert i18n.relative_text(now - timedelta(minutes=5), now) == "há 5 minutos"
        assert i18n.gettext("Log out") == "Sair"
    with i18n.use(i18n.Language("en", "America/Manaus")):
        assert i18n.time_text(now) == "11:00\u202fAM"
        assert i18n.number_text(1234567) == "1,234,567"
        assert i18n.relative_text(now + timedelta(hours=2), now) == "in 2 hours"
        assert i18n.gettext("Log out") == "Log out"


def test_login_page_speaks_the_browsers_language_among_the_supported(client: TestClient) -> None:
    english = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.text and ">Log in<" in english.text
    assert english.headers["content-language"] == "en"
    french = client.get("/login", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="pt-BR">' in french.text and ">Entrar<" in french.text
    plain = client.get("/login")
    assert ">Entrar<" in plain.text


def test_the_wrong_password_message_is_in_the_browsers_language(client: TestClient) -> None:
    from .conftest import form_token

    headers = {"Accept-Language": "en"}
    token = form_token(client.get("/login", headers=headers).text)
    failed = client.post(
        "/login",
        data={"email": "nobody@example.test", "password": "x" * 10, "csrf_token": token},
        headers=headers,
    )
    assert failed.status_code == 401
    assert "Wrong e-mail or password." in failed.text


def test_an_english_speaking_agent_in_manaus_reads_english_and_local_times(
    client: TestClient, admin: Any, make_user: Any, web_login: Any
) -> None:
    queue = admin.post("/api/v1/queues", json={"name": "Suporte N1"}).json()["id"]
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        ticket = new_ticket(admin, queue, "Printer down")
    agent = make_user("agent", name="Kim", password=PASSWORD, queue_ids=[queue])
    changed = admin.patch(
        f"/api/v1/users/{agent.id}", json={"locale": "en", "timezone": "America/Manaus"}
    )
    assert changed.status_code == 200, changed.text
    web_login(agent)
    page = client.get(f"/tickets/{ticket['id']}").text
    assert '<html lang="en">' in page
    assert ">Log out<" in page and "Sair" not in page
    assert "Opened by Ana Admin" in page
    # 15:00 UTC is 11:00 in Manaus, written the American way.
    assert "3/10/26, 11:00\u202fAM" in page
    inbox = client.get("/tickets").text
    assert "Printer down" in inbox and ">Tickets<" in inbox
