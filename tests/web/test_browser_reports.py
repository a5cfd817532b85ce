"""The dashboards in a real browser (Debian's Chromium, Playwright) against ``atende serve``:
reached from the console's navigation, every chart drawn by the vendored Chart.js with its
table beside it, per role, and no CSP violation (``open_page`` watches the console)."""

from __future__ import annotations

from typing import Any

from tests.web.test_browser import (  # noqa: F401 - fixtures
    PASSWORD,
    Desk,
    browser,
    desk,
    open_page,
    pytestmark,
)


def test_the_dashboards_draw_their_charts_per_role(open_page: Any, desk: Desk) -> None:  # noqa: F811
    from playwright.sync_api import expect

    # the admin answers one ticket: a first response measured for the admin, none for Paulo
    desk.api("POST", f"/tickets/{desk.tickets['nota']}/messages", json={"body": "Verificando."})
    page = open_page(desk.agent_email)
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Relatórios").click()
    page.wait_for_url("**/reports")
    expect(page.get_by_role("heading", name="Relatórios · Meus números")).to_be_visible()
    expect(page.locator("canvas[data-drawn=true]")).to_have_count(2)
    volume = page.get_by_role("table", name="Criados e resolvidos por dia")
    expect(volume).to_be_visible()
    expect(volume.locator("tbody tr")).to_have_count(30)

    desk.api(
        "POST",
        "/users",
        json={
            "name": "Bia Admin",
            "email": "bia@solis.example",
            "role": "admin",
            "password": PASSWORD,
        },
    )
    admin_page = open_page("bia@solis.example")
    admin_page.goto(f"{desk.server.base}/reports?days=7")
    expect(admin_page.get_by_role("heading", name="Relatórios · Todas as equipes")).to_be_visible()
    expect(admin_page.locator("canvas[data-drawn=true]")).to_have_count(2)
    first = admin_page.get_by_role("table", name="Mediana da primeira resposta por dia")
    expect(first.locator("tbody tr")).to_have_count(7)
    expect(admin_page.get_by_text("Exportar CSV")).to_be_visible()
    # the same page at phone width: the tables stay readable
    phone = open_page(desk.agent_email, width=390, height=844)
    phone.goto(f"{desk.server.base}/reports")
    expect(phone.locator("canvas[data-drawn=true]")).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
