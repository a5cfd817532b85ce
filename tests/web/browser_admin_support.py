"""What the admin pages' browser tests share (Debian's Chromium, Playwright, against
``atende serve``): the desk and its browser (``tests/web/test_browser.py``), an admin of it,
a logged-in browser context at a width, and the audit every admin page passes: no horizontal
scroll at 390 px, and no serious or critical WCAG 2.1 A/AA violation found by axe-core (bundled
with axe-playwright-python; its script is injected, so the audit's context bypasses the CSP)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.web.test_browser import (  # noqa: F401 - fixtures, re-exported
    PASSWORD,
    Desk,
    browser,
    desk,
    open_page,
    pytestmark,
)

ADMIN = "bia.admin@solis.example"
WIDTHS = ((1280, 800), (390, 844))
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="module")
def admin(desk: Desk) -> str:  # noqa: F811
    """The e-mail of an admin of the desk (password ``PASSWORD``)."""
    desk.api(
        "POST",
        "/users",
        json={"name": "Bia Admin", "email": ADMIN, "role": "admin", "password": PASSWORD},
    )
    return ADMIN


@contextmanager
def signed_in(
    browser: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    email: str,
    width: int,
    height: int,
) -> Iterator[Any]:
    """A page logged in as ``email`` at ``width`` x ``height``, in a context that bypasses the
    CSP (for axe's script); closed on the way out."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="pt-BR", bypass_csp=True
    )
    try:
        page = context.new_page()
        page.goto(f"{desk.server.base}/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Senha").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/tickets")
        yield page
    finally:
        context.close()


def audit(
    browser: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
    email: str,
    paths: Iterable[str],
) -> list[str]:
    """Each page as ``email`` at desktop and phone width: what scrolls sideways and what axe
    finds serious or critical, one line each (empty: all passed)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: list[str] = []
    for width, height in WIDTHS:
        with signed_in(browser, desk, email, width, height) as page:
            for path in paths:
                page.goto(f"{desk.server.base}{path}")
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                if overflow > 0:
                    found.append(f"{path} @{width}px: {overflow}px of horizontal scroll")
                result = axe.run(page, options=AXE_OPTIONS)
                assert result.response["testEngine"]["name"] == "axe-core", path
                for violation in result.response["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        targets = [n["target"] for n in violation["nodes"]][:3]
                        found.append(f"{path} @{width}px: {violation['id']} {targets}")
    return found
