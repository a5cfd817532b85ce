"""Screenshots of the console for docs/console.md and docs/reports.md, taken in headless
Chromium (Debian's).

    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--keep]

Loads the demo company into a temporary SQLite database, serves it (``atende serve``), logs in
as a demo agent and the demo supervisor, and takes the inbox and a ticket page at desktop width
(1280×800) and phone width (390×844), the reports dashboards of an agent and the admin at
desktop width, and the supervisor's board, agenda, composer ("/" canned replies) and shortcut
list at both widths. ``--keep`` leaves the server running (its address is printed) for a look by
hand; Ctrl-C ends it; ``--only NAME`` takes only the shots whose name starts so.

The other screenshot tools (``screenshots_admin.py``, ``screenshots_console9.py``) take their
shots through this one's `run`, `launch`, `signed_in` and `Shots`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("ATENDE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "atende-demo"  # noqa: S105 - the demo users' documented password
AGENT = "bruno.carvalho@solis.example"
SUPERVISOR = "fernanda.lima@solis.example"
ADMIN = "admin@solis.example"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
"""Each shot's width and height, by the name's suffix."""


@dataclass(frozen=True)
class Shots:
    """Where the shots go, and which are wanted (``--only``: the names that start so)."""

    out: Path
    only: str | None = None

    def take(self, page: Any, name: str, *, full_page: bool = False) -> None:
        """``<out>/<name>.png`` of the page (or of a locator), unless ``--only`` leaves it out."""
        if self.only and not name.startswith(self.only):
            return
        if full_page:
            page.screenshot(path=str(self.out / f"{name}.png"), full_page=True)
        else:
            page.screenshot(path=str(self.out / f"{name}.png"))


@contextmanager
def launch() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def signed_in(browser: Any, base: str, email: str, size: str = "desktop") -> Iterator[Any]:
    """A page logged in as ``email`` (the demo password) at a width of `SIZES`, in pt-BR and
    São Paulo time; its context closed on the way out."""
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="pt-BR",
        timezone_id="America/Sao_Paulo",
    )
    try:
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/tickets")
        yield page
    finally:
        context.close()


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


def shoot(base: str, shots: Shots) -> None:
    with launch() as browser:
        for who, email in (("agent", AGENT), ("supervisor", SUPERVISOR)):
            for size in SIZES:
                with signed_in(browser, base, email, size) as page:
                    page.locator("body[data-live-state=open]").wait_for(state="attached")
                    shots.take(page, f"inbox-{who}-{size}")
                    if who == "agent":
                        page.locator("tr[data-ticket] td.subject a").first.click()
                        page.wait_for_selector("#timeline")
                        shots.take(page, f"ticket-{size}", full_page=True)
        for who, email in (("agent", AGENT), ("admin", ADMIN)):  # the dashboards
            with signed_in(browser, base, email) as page:
                page.goto(f"{base}/reports?days=30")
                page.locator("canvas[data-drawn=true]").first.wait_for(state="attached")
                shots.take(page, f"reports-{who}-desktop", full_page=True)
        for size in SIZES:  # session 8: board, agenda, composer
            with signed_in(browser, base, SUPERVISOR, size) as page:
                page.locator("#presence[data-presence], #presence .badge").first.wait_for()
                page.goto(f"{base}/board")
                shots.take(page, f"board-{size}", full_page=True)
                page.goto(f"{base}/agenda?days=14")
                shots.take(page, f"agenda-{size}", full_page=True)
                page.goto(f"{base}/tickets")
                page.locator("tr[data-ticket] td.subject a").first.click()
                page.wait_for_selector("#timeline")
                box = page.locator("#reply-body")
                box.click()
                box.press_sequentially("/")
                page.locator("#canned-list [role=option]").first.wait_for()
                shots.take(page.locator("form.reply"), f"composer-canned-{size}")
                page.keyboard.press("Escape")
                box.blur()
                page.keyboard.press("?")
                shots.take(page, f"shortcuts-{size}")


def main() -> int:
    return run(shoot, __doc__)


def run(take: Callable[[str, Shots], None], description: str | None) -> int:
    """Serve the demo company on a temporary SQLite database, ``take(base_url, shots)``,
    then stop (or keep serving with ``--keep``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--only", default=None, help="only the shots whose name starts so")
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
            take(base, Shots(args.out, args.only))
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
