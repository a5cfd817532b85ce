"""Screenshots of the admin pages (part 2: rules, canned replies, plans and organizations,
reply check, mailboxes, chat) for docs/console.md, taken in headless Chromium (Debian's)
against the demo company served by ``atende serve``, as tools/screenshots.py does.

    .venv/bin/python tools/admin_screenshots.py [--out docs/screenshots] [--only rules]

Each page at desktop width (1280×800) and phone width (390×844), full page:
``admin-<name>-desktop.png`` and ``admin-<name>-phone.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from screenshots import ADMIN, CHROMIUM, PASSWORD, ROOT, atende, free_port, serve

# (name, path, what to wait for); the demo's first ticket is number 1.
PAGES: tuple[tuple[str, str, str], ...] = (
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


def shoot(base: str, out: Path, only: str | None) -> None:
    from playwright.sync_api import sync_playwright

    sizes = {"desktop": (1280, 800), "phone": (390, 844)}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        for size, (width, height) in sizes.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                locale="pt-BR",
                timezone_id="America/Sao_Paulo",
            )
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", ADMIN)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/tickets")
            for name, path, ready in PAGES:
                if only and not name.startswith(only):
                    continue
                page.goto(f"{base}{path}")
                page.wait_for_selector(ready)
                page.screenshot(path=str(out / f"admin-{name}-{size}.png"), full_page=True)
            context.close()
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", default=None, help="only the pages whose name starts so")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atende-admin-shots-") as tmp:
        env = dict(
            os.environ,
            ATENDE_DATABASE_URL=f"sqlite:///{tmp}/demo.db",
            ATENDE_DATA_DIR=f"{tmp}/data",
            ATENDE_RUN_WORKER="false",
        )
        atende("migrate", env=env)
        atende("demo", env=env)
        port = free_port()
        proc = serve(env, port)
        try:
            shoot(f"http://127.0.0.1:{port}", args.out, args.only)
            print(f"screenshots in {args.out}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
