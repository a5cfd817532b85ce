"""The admin pages in a real browser (Debian's Chromium, Playwright) against ``atende serve``:
an admin creates a business calendar with two intervals a day (adding a row without
JavaScript), previews its next two weeks, saves it, then writes an SLA policy on it and asks
its "what if" before saving; every admin page fits a phone without horizontal scroll and
passes the axe-core audit; no page breaks the CSP (``open_page`` watches the console)."""

from __future__ import annotations

from typing import Any

from tests.web.admin_support import READABLE as SUPERVISOR_LISTS
from tests.web.browser_admin_support import (  # noqa: F401 - fixtures
    PASSWORD,
    Desk,
    admin,
    audit,
    browser,
    desk,
    open_page,
    pytestmark,
    signed_in,
)

PAGES = ("/admin", "/admin/users", "/admin/users/new", "/admin/queues", "/admin/queues/new",
         "/admin/pause-reasons", "/admin/calendars", "/admin/calendars/new", "/admin/sla",
         "/admin/sla/new")  # fmt: skip
READABLE = ("/admin", *SUPERVISOR_LISTS)
"""What a supervisor reads (without forms)."""
SUPERVISOR = "sara.supervisora@solis.example"


def test_an_admin_builds_a_calendar_previews_it_and_asks_a_policys_what_if(
    open_page: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    admin: str,  # noqa: F811
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
    admin: str,  # noqa: F811
) -> None:
    """No horizontal scroll at 390 px; axe-core finds no serious or critical WCAG 2.1 A/AA
    violation at either width."""
    found = audit(browser, desk, admin, PAGES)
    assert not found, "\n".join(found)


def test_a_supervisor_reads_the_lists_without_forms_on_a_phone_too(
    browser: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
) -> None:
    """A supervisor of Suporte N1 opens Administração from the top bar, sees only the lists
    they may read, reads the queues with no button to change them, and every list passes the
    same audit at desktop and phone width."""
    from playwright.sync_api import expect

    desk.api(
        "POST",
        "/users",
        json={
            "name": "Sara Supervisora",
            "email": SUPERVISOR,
            "role": "supervisor",
            "password": PASSWORD,
            "queue_ids": [desk.n1],
        },
    )
    with signed_in(browser, desk, SUPERVISOR, 390, 844) as page:
        page.get_by_role("navigation", name="Principal").get_by_role(
            "link", name="Administração"
        ).click()
        menu = page.get_by_role("navigation", name="Administração")
        expect(menu.get_by_role("link")).to_have_count(len(READABLE))
        expect(menu.get_by_role("link", name="Regras de automação")).to_have_count(0)
        menu.get_by_role("link", name="Filas").click()
        page.wait_for_url("**/admin/queues")
        expect(page.get_by_role("note")).to_have_text(
            "Somente leitura: um administrador faz as alterações."
        )
        table = page.get_by_role("table", name="Filas")
        expect(table.get_by_text("Suporte N1")).to_be_visible()
        expect(table.get_by_role("link")).to_have_count(0)
        expect(page.get_by_role("link", name="Nova fila")).to_have_count(0)
        expect(page.locator(".admin-body form[method=post]")).to_have_count(0)
    found = audit(browser, desk, SUPERVISOR, READABLE)
    assert not found, "\n".join(found)
