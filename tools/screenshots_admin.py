"""Screenshots of the admin pages for docs/console.md, taken in headless Chromium (Debian's)
against the demo company served by ``atende serve`` (``tools/screenshots.py``'s `run`).

    .venv/bin/python tools/screenshots_admin.py [--out docs/screenshots] [--keep] [--only rules]

Each admin page as the demo admin, and the lists a supervisor reads as the demo supervisor, at
desktop width (1280×800: ``admin-<name>-desktop.png``) and phone width (390×844:
``admin-<name>-phone.png``), full page. ``--only`` takes the shots whose name starts so
(``--only admin-rules``).
"""

from __future__ import annotations

import sys

from screenshots import ADMIN, SIZES, SUPERVISOR, Shots, launch, run, signed_in

PAGES: tuple[tuple[str, str, str], ...] = (
    ("home", "/admin", ".admin-cards"),
    ("users", "/admin/users", "table.admin-table"),
    ("users-form", "/admin/users/new", "form"),
    ("queues", "/admin/queues", "table.admin-table"),
    ("queues-form", "/admin/queues/1", "form"),
    ("pause-reasons", "/admin/pause-reasons", "table.admin-table"),
    ("calendars", "/admin/calendars", "table.admin-table"),
    ("calendars-form", "/admin/calendars/2", "form"),
    ("sla", "/admin/sla?policy=1&start=2026-10-09T19:00", "table.admin-table"),
    ("sla-form", "/admin/sla/1", "form"),
    ("rules", "/admin/rules", ".rule-list"),
    ("rules-form", "/admin/rules/new", "form.rule-form"),
    ("rules-dry-run", "/admin/rules/dry-run?ticket=1", "#trial"),
    ("canned-replies", "/admin/canned-replies", "table.admin-table"),
    ("canned-replies-form", "/admin/canned-replies/1", "#cr-body"),
    ("plans", "/admin/plans", "table.admin-table"),
    ("organizations", "/admin/organizations", "table.admin-table"),
    ("organizations-form", "/admin/organizations/1", "#o-name"),
    ("reply-check", "/admin/reply-check", "#rc-text"),
    ("reply-check-list", "/admin/reply-check/promises", "#rc-lines"),
    ("mailboxes", "/admin/mailboxes", "table.admin-table"),
    ("mailboxes-form", "/admin/mailboxes/new", "#m-host"),
    ("chat", "/admin/chat", "#flows-title"),
    ("chat-widget", "/admin/chat/widgets/1", "#w-name"),
    ("chat-flow", "/admin/chat/flows/1", "#steps-title"),
)
"""As the admin: the name of each shot, its page, and what to wait for (the demo's first
ticket is number 1)."""
SUPERVISOR_PAGES: tuple[tuple[str, str, str], ...] = (
    ("supervisor-home", "/admin", ".admin-cards"),
    ("supervisor-queues", "/admin/queues", "table.admin-table"),
)
"""As the supervisor: what they read, without the forms."""


def shoot(base: str, shots: Shots) -> None:
    with launch() as browser:
        for email, pages in ((ADMIN, PAGES), (SUPERVISOR, SUPERVISOR_PAGES)):
            for size in SIZES:
                with signed_in(browser, base, email, size) as page:
                    for name, path, ready in pages:
                        if shots.only and not f"admin-{name}-{size}".startswith(shots.only):
                            continue
                        page.goto(f"{base}{path}")
                        page.wait_for_selector(ready)
                        shots.take(page, f"admin-{name}-{size}", full_page=True)


if __name__ == "__main__":
    sys.exit(run(shoot, __doc__))
