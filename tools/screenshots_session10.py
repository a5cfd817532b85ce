"""Screenshots of what session 10 changed on pages the lead touched, for docs/console.md: a
console page asked with a bad parameter (it answers a page naming the parameter, not raw JSON)
as an agent, a supervisor, an admin and a customer, and the reports dashboard of the staff
(the customer is refused it), at desktop and phone width.

    .venv/bin/python tools/screenshots_session10.py [--out docs/screenshots]

Serves the demo company like ``tools/screenshots.py``; the customer's login is made through
the API with an admin token (the demo has no customer login of its own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from screenshots import (
    ADMIN,
    AGENT,
    ROOT,
    SIZES,
    SUPERVISOR,
    Shots,
    atende,
    free_port,
    launch,
    serve,
    signed_in,
)

CUSTOMER = "maria.souza@example.com"
CUSTOMER_PASSWORD = "Pao-de-queijo-2026"  # noqa: S105 - a screenshot-only login


def customer_login(base: str, env: dict[str, str]) -> None:
    cli = [sys.executable, "-c", "from atende.cli import app; app()"]
    token = subprocess.run(  # noqa: S603
        [*cli, "create-token", "--email", ADMIN], env=env, check=True, capture_output=True,
        text=True,
    ).stdout.strip()  # fmt: skip
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"})
    contact = api.post("/contacts", json={"name": "Maria Souza", "email": CUSTOMER})
    contact.raise_for_status()
    made = api.post("/users", json={"name": "Maria Souza", "email": CUSTOMER, "role": "contact",
                                    "contact_id": contact.json()["id"],
                                    "password": CUSTOMER_PASSWORD})  # fmt: skip
    assert made.status_code == 201, made.text


@contextmanager
def login(browser: Any, base: str, email: str, size: str) -> Iterator[Any]:
    """`signed_in` for the staff; the customer with their own password."""
    if email != CUSTOMER:
        with signed_in(browser, base, email, size) as page:
            yield page
        return
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="pt-BR",
                                  timezone_id="America/Sao_Paulo")  # fmt: skip
    try:
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#email", email)
        page.fill("#password", CUSTOMER_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/tickets")
        yield page
    finally:
        context.close()


def shoot(base: str, shots: Shots) -> None:
    with launch() as browser:
        for who, email in (("agent", AGENT), ("supervisor", SUPERVISOR), ("admin", ADMIN),
                           ("customer", CUSTOMER)):  # fmt: skip
            for size in SIZES:
                with login(browser, base, email, size) as page:
                    answer = page.goto(f"{base}/reports?days=trinta")
                    assert answer is not None and answer.status == 422
                    shots.take(page, f"error-bad-parameter-{who}-{size}")
                    answer = page.goto(f"{base}/reports?days=30")
                    assert answer is not None
                    assert answer.status == (404 if who == "customer" else 200)
                    shots.take(page, f"reports-{who}-{size}", full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atende-shots-") as tmp:
        env = dict(os.environ, ATENDE_DATABASE_URL=f"sqlite:///{tmp}/demo.db",
                   ATENDE_DATA_DIR=f"{tmp}/data", ATENDE_RUN_WORKER="false")  # fmt: skip
        atende("migrate", env=env)
        atende("demo", env=env)
        port = free_port()
        proc = serve(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            customer_login(base, env)
            shoot(base, Shots(args.out))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
