"""The console in a real browser: Debian's Chromium driven by Playwright against a real
``atende serve`` on the database under test.

An agent and a supervisor log in, open the inbox and a ticket, reply, act in bulk, and see
other users' changes (made through the API) arrive without reloading, through the live stream;
a server restart shows the "reconnecting" banner and, once back, what happened meanwhile. The
ticket page has no horizontal scroll at phone width, and no page breaks the CSP.

Chromium is never downloaded: ``/usr/bin/chromium`` (``apt-get install chromium``; ``make test``
installs it). Without it these tests are skipped locally and fail with ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import scratch_postgres, test_db_kind
from tests.routing.test_concurrent_pull import _free_port, _serve, _wait_up
from tests.servers import seed_admin

CHROMIUM = os.environ.get("ATENDE_CHROMIUM", "/usr/bin/chromium")
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "console-senha-forte-42"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_TIMEOUT = 15_000  # ms: an event travels in well under a second; the machine is shared


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or make test)"
    return None


MISSING = _browser_missing()
if MISSING and CI:
    raise RuntimeError(f"browser tests need Chromium with CI=true: {MISSING}")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]


@dataclass
class Server:
    """A running ``atende serve`` (restartable on the same port and database)."""

    url: str
    port: int
    data_dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = _serve(self.url, self.port, self.data_dir, workers=1)
        _wait_up(self.base, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@dataclass
class Desk:
    server: Server
    token: str
    n1: int
    fin: int
    agent_id: int
    agent_email: str = "paulo@solis.example"
    supervisor_email: str = "sara@solis.example"
    tickets: dict[str, int] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method,
            f"{self.server.base}/api/v1{path}",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
            **kwargs,
        )
        assert response.is_success, response.text
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def desk(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("browser")
    if test_db_kind() == "sqlite":
        urls: Any = iter([f"sqlite:///{tmp / 'console.db'}"])
        cleanup = None
    else:
        cleanup = scratch_postgres(database_url, "browser")
        urls = iter([cleanup.__enter__()])
    url = next(urls)
    token, n1 = seed_admin(url)
    server = Server(url, _free_port(), tmp / "data")
    server.start()
    try:
        d = Desk(server, token, n1, 0, 0)
        d.fin = d.api("POST", "/queues", json={"name": "Financeiro"})["id"]
        plan = d.api("POST", "/plans", json={"name": "Prime"})["id"]
        org = d.api(
            "POST",
            "/organizations",
            json={"name": "Padaria Pão Quente", "plan_id": plan, "key_account": True,
                  "billing_due_day": 10},
        )["id"]  # fmt: skip
        contact = d.api(
            "POST",
            "/contacts",
            json={"name": "Joana Lojista", "email": "joana@padaria.example",
                  "organization_id": org},
        )["id"]  # fmt: skip
        agent = d.api(
            "POST",
            "/users",
            json={"name": "Paulo Agente", "email": d.agent_email, "role": "agent",
                  "password": PASSWORD, "queue_ids": [n1]},
        )  # fmt: skip
        d.agent_id = agent["id"]
        d.api(
            "POST",
            "/users",
            json={"name": "Sara Supervisora", "email": d.supervisor_email,
                  "role": "supervisor", "password": PASSWORD},
        )  # fmt: skip
        for key, subject in (("caixa", "Caixa travado"), ("nota", "Nota fiscal rejeitada")):
            d.tickets[key] = d.api(
                "POST",
                "/tickets",
                json={"subject": subject, "body": "Não funciona desde cedo.", "queue_id": n1,
                      "contact_id": contact, "channel": "whatsapp"},
            )["id"]  # fmt: skip
        yield d
    finally:
        server.stop()
        if cleanup is not None:
            cleanup.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, desk: Desk) -> Iterator[Any]:
    """open_page(email, width=1280, height=800) -> a logged-in page in a fresh context; every
    page's console is watched for CSP violations."""
    contexts: list[Any] = []
    violations: list[str] = []

    def _open(email: str, width: int = 1280, height: int = 800) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="pt-BR",
            timezone_id="America/Sao_Paulo",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(LIVE_TIMEOUT)
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{desk.server.base}/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Senha").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/tickets")
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not violations, violations


def _live(page: Any) -> None:
    """Wait until the page's live stream is open."""
    page.locator("body[data-live-state=open]").wait_for(state="attached")


def test_an_agent_opens_the_inbox_and_a_ticket_and_replies(open_page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    page = open_page(desk.agent_email)
    expect(page.get_by_role("heading", name="Todos os chamados")).to_be_visible()
    views = page.get_by_role("navigation", name="Visões")
    expect(views.get_by_role("link", name="Minhas filas")).to_contain_text("2")
    expect(views.get_by_role("link", name="Revisão do plantão")).to_have_count(0)
    page.get_by_role("link", name="Caixa travado").click()
    page.wait_for_url(f"**/tickets/{desk.tickets['caixa']}")
    expect(page.get_by_text("Aberto por Ana")).to_be_visible()
    expect(page.get_by_role("heading", name="Cliente")).to_be_visible()
    expect(page.get_by_text("Padaria Pão Quente").first).to_be_visible()
    page.get_by_label("Responder ou anotar").fill(
        "Bom dia! Pode reiniciar o caixa? Ficou alguma dúvida?"
    )
    page.get_by_role("button", name="Enviar").click()
    timeline = page.get_by_role("list", name="Histórico")
    expect(timeline.get_by_text("Bom dia! Pode reiniciar o caixa?")).to_be_visible()
    expect(
        timeline.get_by_text("Status alterado de Novo para Aberto por Paulo Agente")
    ).to_be_visible()
    expect(page.get_by_label("Responder ou anotar")).to_have_value("")

    # the reply check holds a reply with gerundismo and no closing question until sent anyway
    page.get_by_label("Responder ou anotar").fill("Vou estar verificando o caixa.")
    page.get_by_role("button", name="Enviar", exact=True).click()
    warning = page.locator("#reply-check")
    expect(warning).to_contain_text("Gerundismo")
    expect(warning).to_contain_text("Falta a pergunta de encerramento")
    expect(page.get_by_label("Responder ou anotar")).to_have_value("Vou estar verificando o caixa.")
    expect(timeline.get_by_text("Vou estar verificando o caixa.")).to_have_count(0)
    page.get_by_role("button", name="Enviar mesmo assim").click()
    expect(timeline.get_by_text("Vou estar verificando o caixa.")).to_be_visible()
    expect(page.locator("#reply-check")).to_have_count(0)


def test_typing_a_slash_inserts_a_canned_reply_filled_in(open_page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    desk.api(
        "POST",
        "/canned-replies",
        json={"name": "Boas-vindas",
              "body": "Olá, {{contact.first_name|cliente}}! Chamado #{{ticket.number}}."},
    )  # fmt: skip
    desk.api(
        "POST", "/canned-replies", json={"name": "Encerramento", "body": "Ficou alguma dúvida?"}
    )
    page = open_page(desk.agent_email)
    page.goto(f"{desk.server.base}/tickets/{desk.tickets['nota']}")
    box = page.get_by_label("Responder ou anotar")
    box.click()
    box.press_sequentially("Bom dia. /boas")
    options = page.get_by_role("listbox", name="Respostas prontas").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Boas-vindas")
    box.press("Enter")
    expect(box).to_have_value(f"Bom dia. Olá, Joana! Chamado #{desk.tickets['nota']}.")
    expect(page.get_by_role("listbox", name="Respostas prontas")).to_be_hidden()
    box.press_sequentially(" /ENCE")  # case and accents do not matter
    expect(options).to_have_count(1)
    box.press("Escape")
    expect(page.get_by_role("listbox", name="Respostas prontas")).to_be_hidden()
    expect(box).to_have_value(f"Bom dia. Olá, Joana! Chamado #{desk.tickets['nota']}. /ENCE")


def test_a_file_chosen_in_the_composer_is_sent_with_the_reply(
    open_page: Any, desk: Desk, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shot = tmp_path / "tela-do-erro.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page = open_page(desk.agent_email)
    page.goto(f"{desk.server.base}/tickets/{desk.tickets['caixa']}")
    page.locator("#reply-files").set_input_files(str(shot))
    uploaded = page.locator(".uploads li").filter(has_text="tela-do-erro.png")
    expect(uploaded.get_by_role("button", name="Remover")).to_be_visible()
    page.get_by_label("Responder ou anotar").fill("Segue a tela. Ficou alguma dúvida?")
    page.get_by_role("button", name="Enviar", exact=True).click()
    expect(page.get_by_role("list", name="Histórico").get_by_text("Segue a tela.")).to_be_visible()
    found = desk.api("GET", f"/tickets/{desk.tickets['caixa']}/attachments")["items"]
    assert [(a["filename"], a["public"]) for a in found if a["message_id"]] == [
        ("tela-do-erro.png", True)
    ]


def test_keyboard_shortcuts_are_listed_on_a_question_mark_and_work(
    open_page: Any, desk: Desk
) -> None:
    from playwright.sync_api import expect

    page = open_page(desk.agent_email)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Atalhos de teclado")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ir para a agenda")
    expect(dialog).not_to_contain_text("painel da supervisão")  # an agent has no board
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("j")
    expect(page.locator('tr[data-ticket][aria-current="true"]')).to_have_count(1)
    page.keyboard.press("o")
    page.wait_for_url("**/tickets/*")
    page.keyboard.press("r")
    expect(page.get_by_label("Responder ou anotar")).to_be_focused()
    page.keyboard.type("g")  # typing in the reply box is text, not a shortcut
    expect(page.get_by_label("Responder ou anotar")).to_have_value("g")
    page.get_by_label("Responder ou anotar").fill("")
    page.get_by_label("Responder ou anotar").blur()
    page.keyboard.press("g")
    page.keyboard.press("a")
    page.wait_for_url("**/agenda")
    expect(page.get_by_role("heading", name="Agenda", exact=True)).to_be_visible()


def test_another_users_actions_arrive_live_on_the_inbox_and_the_ticket(
    open_page: Any, desk: Desk
) -> None:
    from playwright.sync_api import expect

    inbox = open_page(desk.agent_email)
    _live(inbox)
    created = desk.api(
        "POST",
        "/tickets",
        json={"subject": "Impressora fiscal offline", "body": "Parou.", "queue_id": desk.n1,
              "requester": {"name": "Rui", "email": "rui@mercado.example"}},
    )["id"]  # fmt: skip
    expect(inbox.locator(f'tr[data-ticket="{created}"]')).to_be_visible()
    expect(inbox.get_by_role("link", name="Minhas filas")).to_contain_text("3")

    ticket = open_page(desk.agent_email)
    ticket.goto(f"{desk.server.base}/tickets/{desk.tickets['nota']}")
    _live(ticket)
    timeline = ticket.get_by_role("list", name="Histórico")
    desk.api(
        "POST",
        f"/tickets/{desk.tickets['nota']}/messages",
        json={"body": "Segue o XML da nota.", "public": True, "author": "contact"},
    )
    expect(timeline.get_by_text("Segue o XML da nota.")).to_be_visible()
    desk.api("POST", f"/tickets/{desk.tickets['nota']}/assign", json={"assignee_id": desk.agent_id})
    expect(timeline.get_by_text("Atribuído a Paulo Agente por Ana")).to_be_visible()
    expect(ticket.locator("#ticket-side")).to_contain_text("Paulo Agente")


def test_a_supervisor_assigns_in_bulk_and_sees_the_on_call_review(
    open_page: Any, desk: Desk
) -> None:
    from playwright.sync_api import expect

    page = open_page(desk.supervisor_email)
    expect(page.get_by_role("link", name="Revisão do plantão")).to_be_visible()
    page.get_by_label(f"Selecionar o chamado #{desk.tickets['caixa']}").check()
    page.get_by_label("Atribuir a").select_option(label="Paulo Agente")
    page.get_by_role("button", name="Atribuir", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="1 chamado(s) alterado(s).")).to_be_visible()
    assert desk.api("GET", f"/tickets/{desk.tickets['caixa']}")["assignee_id"] == desk.agent_id


def test_the_ticket_page_fits_a_phone(open_page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    page = open_page(desk.agent_email, width=390, height=844)
    page.goto(f"{desk.server.base}/tickets/{desk.tickets['caixa']}")
    expect(page.get_by_role("heading", name="Alterar o chamado")).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow}px of horizontal scroll"
    inbox = open_page(desk.agent_email, width=390, height=844)
    body_overflow = inbox.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert body_overflow <= 0, f"{body_overflow}px of horizontal scroll on the inbox"


def test_the_console_pages_pass_an_accessibility_audit(browser: Any, desk: Desk) -> None:
    """axe-core (the copy bundled with axe-playwright-python, MPL-2.0) on the login page, the
    inbox, a ticket and the new-ticket form at desktop and phone width: no serious or critical
    WCAG 2.1 A/AA violation. Its script is injected, so this context bypasses the pages' CSP."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }
    found: list[str] = []

    def audit(page: Any, name: str, width: int) -> None:
        result = axe.run(page, options=options)
        assert result.response["testEngine"]["name"] == "axe-core", name  # it did run
        for violation in result.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in violation["nodes"]][:3]
                found.append(f"{name} @{width}px: {violation['id']} {targets}")

    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="pt-BR", bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{desk.server.base}/login")
        audit(page, "login", width)
        page.get_by_label("E-mail").fill(desk.supervisor_email)
        page.get_by_label("Senha").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/tickets")
        audit(page, "inbox", width)
        page.goto(f"{desk.server.base}/tickets/{desk.tickets['caixa']}")
        audit(page, "ticket", width)
        page.goto(f"{desk.server.base}/tickets/new")
        page.locator("details summary").click()  # the non-client form too
        audit(page, "new ticket", width)
        context.close()
    assert not found, "\n".join(found)


def test_a_lost_stream_shows_reconnecting_and_catches_up_when_back(
    open_page: Any, desk: Desk
) -> None:
    """Last in the module: it restarts the server."""
    from playwright.sync_api import expect

    page = open_page(desk.agent_email)
    _live(page)
    banner = page.locator("#live-banner")
    expect(banner).to_be_hidden()
    desk.server.stop()
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Reconectando…")
    desk.server.start()
    created = desk.api(
        "POST",
        "/tickets",
        json={"subject": "Criado durante a queda", "body": "x", "queue_id": desk.n1,
              "requester": {"name": "Lia", "email": "lia@loja.example"}},
    )["id"]  # fmt: skip
    # the browser's reconnection backs off: on a loaded machine it may take some seconds
    expect(banner).to_be_hidden(timeout=LIVE_TIMEOUT)
    expect(page.locator(f'tr[data-ticket="{created}"]')).to_be_visible(timeout=LIVE_TIMEOUT)


def test_chromium_is_the_debian_one() -> None:
    """The browser these tests drive is the system's, never a downloaded one."""
    out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=True)
    assert "Chromium" in out.stdout, out.stdout
