"""Screenshots of the console for docs/console.md and docs/reports.md, taken in headless
Chromium (Debian's).

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--keep]

Loads the demo company into a temporary SQLite database, serves it (``atende serve``), logs in
as a demo agent and the demo supervisor, and takes the inbox and a ticket page at desktop width
(1280×800) and phone width (390×844), the reports dashboards of an agent and the admin at
desktop width, and the supervisor's board, agenda, composer ("/" canned replies) and shortcut
list at both widths. ``--keep`` leaves the server running (its address is printed) for a look by
hand; Ctrl-C ends it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ATENDE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "atende-demo"  # noqa: S105 - the demo users' documented password
AGENT = "bruno.carvalho@solis.example"
SUPERVISOR = "fernanda.lima@solis.example"
ADMIN = "admin@solis.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def atende(*args: str, env: dict[str, str]) -> None:
    cli = [sys.executable, "-c", "from atende.cli import app; app()"]
    subprocess.run([*cli, *args], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cli = [sys.executable, "-c", "from atende.cli import app; app()"]
    proc = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "1"], env=env)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not start")


def shoot(base: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    sizes = {"desktop": (1280, 800), "phone": (390, 844)}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        for who, email in (("agent", AGENT), ("supervisor", SUPERVISOR)):
            for size, (width, height) in sizes.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="pt-BR",
                    timezone_id="America/Sao_Paulo",
                )
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("#email", email)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/tickets")
                page.locator("body[data-live-state=open]").wait_for(state="attached")
                page.screenshot(path=str(out / f"inbox-{who}-{size}.png"))
                if who == "agent":
                    link = page.locator("tr[data-ticket] td.subject a").first
                    link.click()
                    page.wait_for_selector("#timeline")
                    page.screenshot(path=str(out / f"ticket-{size}.png"), full_page=True)
                context.close()
        for who, email in (("agent", AGENT), ("admin", ADMIN)):  # the dashboards
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, locale="pt-BR",
                timezone_id="America/Sao_Paulo",
            )  # fmt: skip
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/tickets")
            page.goto(f"{base}/reports?days=30")
            page.locator("canvas[data-drawn=true]").first.wait_for(state="attached")
            page.screenshot(path=str(out / f"reports-{who}-desktop.png"), full_page=True)
            context.close()
        for size, (width, height) in sizes.items():  # session 8: board, agenda, composer
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
            page.locator("#presence[data-presence], #presence .badge").first.wait_for()
            page.goto(f"{base}/board")
            page.screenshot(path=str(out / f"board-{size}.png"), full_page=True)
            page.goto(f"{base}/agenda?days=14")
            page.screenshot(path=str(out / f"agenda-{size}.png"), full_page=True)
            page.goto(f"{base}/tickets")
            page.locator("tr[data-ticket] td.subject a").first.click()
            page.wait_for_selector("#timeline")
            box = page.locator("#reply-body")
            box.click()
            box.press_sequentially("/")
            page.locator("#canned-list [role=option]").first.wait_for()
            page.locator("form.reply").screenshot(path=str(out / f"composer-canned-{size}.png"))
            page.keyboard.press("Escape")
            box.blur()
            page.keyboard.press("?")
            page.screenshot(path=str(out / f"shortcuts-{size}.png"))
            context.close()
        browser.close()


def main() -> int:
    return run(shoot, __doc__)


def run(take: Callable[[str, Path], None], description: str | None) -> int:
    """Serve the demo company on a temporary SQLite database, ``take(base_url, out_dir)``,
    then stop (or keep serving with ``--keep``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atende-shots-") as tmp:
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
        base = f"http://127.0.0.1:{port}"
        try:
            take(base, args.out)
            print(f"screenshots in {args.out}")
            if args.keep:
                print(f"serving {base} (Ctrl-C ends it)")
                proc.wait()
        except KeyboardInterrupt:
            pass
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
