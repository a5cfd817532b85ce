"""The phone log in a real browser (Debian's Chromium, tests/web/test_browser.py's server and
desk): an agent logs a call from the side panel and sends its summary in one click; the
timeline tells both, and no page breaks the CSP."""

from __future__ import annotations

from typing import Any

from tests.web.test_browser import Desk, browser, desk, open_page, pytestmark

__all__ = ["browser", "desk", "open_page", "pytestmark"]


def test_an_agent_logs_a_call_and_sends_its_summary(open_page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    page = open_page(desk.agent_email)
    page.goto(f"{desk.server.base}/tickets/{desk.tickets['nota']}")
    calls = page.locator("#calls")
    calls.get_by_text("Registrar ligação").click()
    calls.get_by_label("Telefone").fill("(11) 98765-4321")
    calls.get_by_label("Duração (minutos)").fill("4")
    calls.get_by_label("Resumo").fill("Nota reemitida; cliente confirmou o recebimento.")
    calls.get_by_role("button", name="Registrar a ligação").click()
    timeline = page.get_by_role("list", name="Histórico")
    expect(
        timeline.get_by_text(
            "Ligação recebida de +55 11 98765-4321 (4 min): Nota reemitida; cliente confirmou "
            "o recebimento."
        )
    ).to_be_visible()
    page.locator("#calls").get_by_role("button", name="Enviar resumo por e-mail").click()
    expect(page.locator("#calls").get_by_text("Resumo enviado por e-mail")).to_be_visible()
    expect(timeline.get_by_text("Resumo da nossa ligação:")).to_be_visible()
    expect(
        timeline.get_by_text("Paulo Agente enviou o resumo da ligação ao cliente por e-mail")
    ).to_be_visible()
