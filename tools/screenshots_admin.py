"""Screenshots of the admin pages for docs/console.md, taken in headless Chromium (Debian's).

    .venv/bin/python tools/screenshots_admin.py [--out docs/screenshots] [--keep]

Loads the demo company into a temporary SQLite database, serves it (``atende serve``, with
``tools/screenshots.py``'s helpers), logs in as the demo admin and takes each admin page at
desktop width (1280×800: ``admin-<area>.png``) and phone width (390×844:
``admin-<area>-phone.png``), full page. ``--keep`` leaves the server running.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import ADMIN, CHROMIUM, PASSWORD, run

PAGES = {
    "users": "/admin/users",
    "users-form": "/admin/users/new",
    "queues": "/admin/queues",
    "queues-form": "/admin/queues/1",
    "pause-reasons": "/admin/pause-reasons",
    "calendars": "/admin/calendars",
    "calendars-form": "/admin/calendars/2",
    "sla": "/admin/sla?policy=1&start=2026-10-09T19:00",
    "sla-form": "/admin/sla/1",
}
"""The name of each shot and the page it shows (an area adds its pages here)."""


def shoot(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        for suffix, (width, height) in {"": (1280, 800), "-phone": (390, 844)}.items():
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="pt-BR",
                timezone_id="America/Sao_Paulo",
            )  # fmt: skip
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", ADMIN)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/tickets")
            for name, path in PAGES.items():
                page.goto(f"{base}{path}")
                page.screenshot(path=str(out / f"admin-{name}{suffix}.png"), full_page=True)
            context.close()
        browser.close()


def main() -> int:
    return run(shoot, __doc__)


if __name__ == "__main__":
    sys.exit(main())
