"""Screenshots of the console pages added in session 9, for docs/console.md: the new-ticket
form (with the non-client request open), the inbox with a saved view, and the report of replies
sent with warnings, at desktop and phone width, as the demo supervisor (``tools/screenshots.py``'s
`run`).

    .venv/bin/python tools/screenshots_console9.py [--out docs/screenshots] [--keep] [--only ...]
"""

from __future__ import annotations

import sys

from screenshots import SIZES, SUPERVISOR, Shots, launch, run, signed_in


def shoot(base: str, shots: Shots) -> None:
    with launch() as browser:
        for size in SIZES:
            with signed_in(browser, base, SUPERVISOR, size) as page:
                page.goto(f"{base}/tickets/new")
                page.locator("details summary").click()
                shots.take(page, f"new-ticket-{size}", full_page=True)
                page.goto(f"{base}/tickets?view=breached")
                if size == "desktop":
                    page.locator("details.save-view summary").click()
                    page.fill("#sv-name", "SLA violado do time")
                    page.locator("details.save-view button[type=submit]").click()
                    page.wait_for_url("**/tickets?view=breached")
                shots.take(page, f"inbox-saved-views-{size}")
                page.goto(f"{base}/reports/reply-check?days=90")
                shots.take(page, f"reports-reply-check-{size}", full_page=True)


if __name__ == "__main__":
    sys.exit(run(shoot, __doc__))
