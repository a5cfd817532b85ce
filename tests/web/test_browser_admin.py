"""The admin pages in a real browser (Debian's Chromium, Playwright) against ``atende serve``:
an admin creates a business calendar with two intervals a day (adding a row without
JavaScript), previews its next two weeks, saves it, then writes an SLA policy on it and asks
its "what if" before saving; every admin page fits a phone without horizontal scroll and
passes the axe-core audit; no page breaks the CSP (``open_page`` watches the console)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_browser import (  # noqa: F401 - fixtures
    PASSWORD,
    Desk,
    browser,
    desk,
    open_page,
    pytestmark,
)

ADMIN = "bia.admin@solis.example"
PAGES = ("/admin", "/admin/users", "/admin/users/new", "/admin/queues", "/admin/queues/new",
         "/admin/pause-reasons", "/admin/calendars", "/admin/calendars/new", "/admin/sla",
         "/admin/sla/new")  # fmt: skip


@pytest.fixture(scope="module")
def admin(desk: Desk) -> str:  # noqa: F811
    desk.api(
        "POST",
        "/users",
        json={"name": "Bia Admin", "email": ADMIN, "role": "admin", "password": PASSWORD},
    )
    return ADMIN


def test_an_admin_builds_a_calendar_previews_it_and_asks_a_policys_what_if(
    open_page: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    admin: str,
) -> None:
    from playwright.sync_api import expect

    page = open_page(admin)
    page.get_by_role("navigation", name="Principal").get_by_role(
        "link", name="Administração"
    ).click()
    page.get_by_role("navigation", name="Administração").get_by_role(
        "link", name="Calendários de atendimento"
    ).click()
    page.get_by_role("link", name="Novo calendário").click()
    page.get_by_label("Nome").fill("Suporte sábado")
    # Saturday: 08:00-12:00, then "+ intervalo" (a form post, no script) and 13:00-17:00
    page.locator("#saturday-s-0").fill("08:00")
    page.locator("#saturday-e-0").fill("12:00")
    page.get_by_role("button", name="+ intervalo Sábado").click()
    expect(page.locator("#saturday-s-1")).to_have_value("")
    expect(page.locator("#saturday-e-0")).to_have_value("12:00")  # kept
    page.locator("#saturday-s-1").fill("13:00")
    page.locator("#saturday-e-1").fill("17:00")
    page.get_by_role("button", name="Pré-visualizar as próximas duas semanas").click()
    preview = page.get_by_role("list", name="Horário de atendimento nas próximas duas semanas")
    expect(preview.locator("li")).to_have_count(14)
    saturdays = preview.locator("li", has_text="Sábado")
    expect(saturdays.first).to_be_visible()
    expect(preview.locator("li", has_text="08:00–12:00, 13:00–17:00").first).to_be_visible()
    expect(preview.locator("li", has_text="08:00–12:00, 13:00–18:00").first).to_be_visible()
    page.get_by_role("button", name="Salvar", exact=True).click()
    page.wait_for_url("**/admin/calendars?saved=*")
    expect(page.get_by_text("O calendário foi salvo.")).to_be_visible()
    expect(page.get_by_text("Sábado: 08:00–12:00, 13:00–17:00")).to_be_visible()

    page.get_by_role("link", name="Políticas de SLA").click()
    page.get_by_role("link", name="Nova política").click()
    page.get_by_label("Nome").fill("Comercial")
    page.get_by_label("Horário de atendimento").select_option(label="Suporte sábado")
    page.get_by_label("Meta primeira resposta", exact=True).fill("30")
    page.get_by_label("Meta resolução", exact=True).fill("8")
    page.get_by_label("Unidade resolução", exact=True).select_option("h")
    # Friday 9 October 2026 19:00: Saturday opens at 08:00
    page.get_by_label("Aberto em").fill("2026-10-09T19:00")
    page.get_by_role("button", name="Calcular os prazos").click()
    dues = page.get_by_role("list", name="Prazos")
    expect(dues.locator("[data-target=first_response]")).to_contain_text("sábado, 10/10/2026 08:30")
    # eight business hours: all of Saturday's (08:00-12:00 and 13:00-17:00)
    expect(dues.locator("[data-target=resolution]")).to_contain_text("sábado, 10/10/2026 17:00")
    expect(page.get_by_label("Nome")).to_have_value("Comercial")  # nothing lost, nothing saved
    page.get_by_role("button", name="Salvar", exact=True).click()
    page.wait_for_url("**/admin/sla?saved=*")
    expect(page.get_by_role("link", name="Comercial")).to_be_visible()


def test_the_admin_pages_fit_a_phone_and_pass_an_accessibility_audit(
    browser: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    admin: str,
) -> None:
    """No horizontal scroll at 390 px; axe-core (bundled with axe-playwright-python) finds no
    serious or critical WCAG 2.1 A/AA violation at either width. Its script is injected, so
    this context bypasses the pages' CSP."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }
    found: list[str] = []
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="pt-BR", bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{desk.server.base}/login")
        page.get_by_label("E-mail").fill(admin)
        page.get_by_label("Senha").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/tickets")
        for path in PAGES:
            page.goto(f"{desk.server.base}{path}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                found.append(f"{path} @{width}px: {overflow}px of horizontal scroll")
            result = axe.run(page, options=options)
            assert result.response["testEngine"]["name"] == "axe-core", path
            for violation in result.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [n["target"] for n in violation["nodes"]][:3]
                    found.append(f"{path} @{width}px: {violation['id']} {targets}")
        context.close()
    assert not found, "\n".join(found)
