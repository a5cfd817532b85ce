"""Screenshots of the console pages added in session 9, for docs/console.md: the new-ticket
form (with the non-client request open), the inbox with a saved view, and the report of replies
sent with warnings, at desktop and phone width, as the demo supervisor.

    .venv/bin/python tools/screenshots_console9.py [--out docs/screenshots] [--keep]
"""

from __future__ import annotations

from pathlib import Path

from screenshots import CHROMIUM, PASSWORD, SUPERVISOR, run


def shoot(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    sizes = {"desktop": (1280, 800), "phone": (390, 844)}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        for size, (width, height) in sizes.items():
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="pt-BR",
                timezone_id="America/Sao_Paulo",
            )  # fmt: skip
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", SUPERVISOR)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/tickets")
            page.goto(f"{base}/tickets/new")
            page.locator("details summary").click()
            page.screenshot(path=str(out / f"new-ticket-{size}.png"), full_page=True)
            page.goto(f"{base}/tickets?view=breached")
            if size == "desktop":
                page.locator("details.save-view summary").click()
                page.fill("#sv-name", "SLA violado do time")
                page.locator("details.save-view button[type=submit]").click()
                page.wait_for_url("**/tickets?view=breached")
            page.screenshot(path=str(out / f"inbox-saved-views-{size}.png"))
            page.goto(f"{base}/reports/reply-check?days=90")
            page.screenshot(path=str(out / f"reports-reply-check-{size}.png"), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    raise SystemExit(run(shoot, __doc__))
