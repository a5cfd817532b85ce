"""The survey end to end, in a real browser: a ticket closed through the API of a real
``atende serve``; the worker mails the survey to a local SMTP sink (aiosmtpd); the e-mail's link
opened in Debian's Chromium (Playwright) pre-selects the score; the button records it once; a
second submission and a forged link get a page saying so, in Portuguese; the score shows in
``GET /api/v1/surveys/summary``. (The expired link is in test_csat.py: time moves there with
time-machine, which cannot move a server process's clock.)

With ``ATENDE_SCREENSHOTS=<dir>`` the pages are photographed at desktop and phone width
(docs/screenshots/survey-*.png, shown in docs/surveys.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from atende.db.engine import make_engine, make_sessionmaker
from atende.settings import Settings
from atende.worker import Worker
from tests.conftest import scratch_postgres, test_db_kind
from tests.notify.support import SmtpCollector, free_port
from tests.routing.test_concurrent_pull import _free_port, _serve, _wait_up
from tests.servers import seed_admin
from tests.surveys.conftest import mails
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, MISSING

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]
SECRET = "browser-survey-secret-not-for-production"
SHOTS = os.environ.get("ATENDE_SCREENSHOTS")
TIMEOUT = 15_000


@dataclass
class Desk:
    base: str
    token: str
    queue: int
    smtp: SmtpCollector
    worker: Worker

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, f"{self.base}/api/v1{path}",
            headers={"Authorization": f"Bearer {self.token}"}, timeout=30, **kwargs,
        )  # fmt: skip
        assert response.is_success, response.text
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def desk(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("survey-browser")
    cleanup = None
    if test_db_kind() == "sqlite":
        url = f"sqlite:///{tmp / 'surveys.db'}"
    else:
        cleanup = scratch_postgres(database_url, "survey_browser")
        url = cleanup.__enter__()
    token, queue = seed_admin(url)
    smtp = SmtpCollector()
    smtp_port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"ATENDE_SECRET_KEY": SECRET, "ATENDE_PUBLIC_URL": base}
    proc = _serve(url, port, tmp / "data", workers=1, **env)
    engine = make_engine(url)
    try:
        _wait_up(base, proc)
        settings = Settings(
            database_url=url, data_dir=tmp / "worker", secret_key=SECRET, run_worker=False,
            smtp_host="127.0.0.1", smtp_port=smtp_port, public_url=base,
            mail_from="Suporte <suporte@example.test>",
        )  # fmt: skip
        worker = Worker(settings, make_sessionmaker(engine), sweeps=[])
        yield Desk(base, token, queue, smtp, worker)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        controller.stop()
        engine.dispose()
        if cleanup is not None:
            cleanup.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"survey-{name}.png"), full_page=True)


def test_the_mailed_link_preselects_in_chromium_and_the_button_records_once(
    desk: Desk, browser: Any
) -> None:
    from playwright.sync_api import expect

    org = desk.api("POST", "/organizations", json={"name": "Padaria Pão Quente"})["id"]
    contact = desk.api("POST", "/contacts", json={
        "name": "Joana Lojista", "email": "joana@padaria.example", "organization_id": org,
    })["id"]  # fmt: skip
    agent = desk.api("POST", "/users", json={
        "name": "Paulo Agente", "email": "paulo@solis.example", "role": "agent",
        "queue_ids": [desk.queue],
    })["id"]  # fmt: skip
    ticket = desk.api("POST", "/tickets", json={
        "subject": "Caixa travado", "body": "O PDV não abre.", "queue_id": desk.queue,
        "contact_id": contact, "assignee_id": agent,
    })  # fmt: skip
    desk.api("PATCH", f"/tickets/{ticket['id']}", json={"assignee_id": agent})
    desk.api("PATCH", f"/tickets/{ticket['id']}", json={"status": "closed"})
    for _ in range(5):
        if desk.smtp.messages:
            break
        desk.worker.run_due_jobs()
    [mail] = mails(desk.smtp)
    assert mail.to == ["joana@padaria.example"]
    links = dict(
        (int(n), link) for link, n in re.findall(r"(http://\S+/pesquisa/\S+\?nota=(\d))", mail.text)
    )
    assert sorted(links) == [1, 2, 3, 4, 5]

    violations: list[str] = []
    contexts = []

    def open_page(width: int, height: int) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="pt-BR",
            timezone_id="America/Sao_Paulo",
        )  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        return page

    try:
        desktop = open_page(1280, 800)
        desktop.goto(links[4])
        expect(desktop.get_by_role("heading", name="Como foi nosso atendimento?")).to_be_visible()
        expect(desktop.get_by_text(f"Chamado #{ticket['number']}: Caixa travado")).to_be_visible()
        expect(desktop.locator('input[name="nota"][value="4"]')).to_be_checked()
        expect(desktop.get_by_text("O que deu errado?")).to_be_hidden()
        _shot(desktop, "desktop")

        phone = open_page(390, 844)
        phone.goto(links[2])  # opening a link records nothing, whatever the score
        expect(phone.locator('input[name="nota"][value="2"]')).to_be_checked()
        expect(phone.get_by_text("O que deu errado?")).to_be_visible()  # a low score asks why
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(phone, "phone-low-score")

        # the customer changes their mind on the page, comments and confirms
        desktop.locator("label.score", has_text="5").click()
        expect(desktop.locator('input[name="nota"][value="5"]')).to_be_checked()
        desktop.get_by_label("Comentário (opcional)").fill("Resolveram rápido, obrigada!")
        desktop.get_by_role("button", name="Enviar avaliação").click()
        expect(desktop.get_by_role("heading", name="Obrigado!")).to_be_visible()
        _shot(desktop, "thanks-desktop")

        # the phone's form, still open, is a second submission: refused
        phone.get_by_role("button", name="Enviar avaliação").click()
        expect(phone.get_by_role("heading", name="Pesquisa já respondida")).to_be_visible()
        _shot(phone, "answered-phone")

        token = links[1].split("/pesquisa/")[1].split("?")[0]
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        desktop.goto(f"{desk.base}/pesquisa/{forged}?nota=1")
        expect(desktop.get_by_role("heading", name="Link inválido")).to_be_visible()
        _shot(desktop, "invalid-desktop")
    finally:
        for context in contexts:
            context.close()
    assert not violations, violations

    [survey] = desk.api("GET", f"/tickets/{ticket['id']}/surveys")
    assert (survey["score"], survey["comment"]) == (5, "Resolveram rápido, obrigada!")
    assert survey["agent"]["id"] == agent
    summary = desk.api("GET", "/surveys/summary", params={
        "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "group_by": "agent",
    })  # fmt: skip
    assert summary["csat"] == [{"group": {"agent_id": agent, "name": "Paulo Agente"},
                                "count": 1, "satisfied": 1, "satisfied_percent": 100.0,
                                "average": 5.0}]  # fmt: skip
