"""One live stream per browser, however many console tabs it shows (Debian's Chromium,
Playwright, a real ``atende serve``).

Three tabs of one browser context: one of them leads (holds the Web Lock and the EventSource)
and relays each event to the others over a BroadcastChannel, so the server holds one stream for
the three (``GET /api/v1/stream/open``). An event caused by another user reaches every tab;
when the leader tab closes, another takes the lock and reconnects from the last event id it
saw: an event made during the hand-over and the next one still arrive.
"""

from __future__ import annotations

import time
from typing import Any

from tests.web.test_browser import (  # noqa: F401 - fixtures
    LIVE_TIMEOUT,
    Desk,
    _live,
    browser,
    desk,
    open_page,
    pytestmark,
)


def _open_streams(desk: Desk, want: int) -> int:  # noqa: F811
    """The server's count of open streams once it is ``want`` (a closed tab's connection ends
    a moment later), or the last count seen after the wait."""
    deadline = time.monotonic() + LIVE_TIMEOUT / 1000
    while True:
        count = int(desk.api("GET", "/stream/open")["open"])
        if count == want or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def _roles(pages: list[Any]) -> list[str | None]:
    return [p.locator("body").get_attribute("data-live-role") for p in pages]


def _one_leader(pages: list[Any]) -> Any:
    """The page that leads, once exactly one does."""
    deadline = time.monotonic() + LIVE_TIMEOUT / 1000
    while True:
        roles = _roles(pages)
        if roles.count("leader") == 1 and roles.count("follower") == len(pages) - 1:
            return pages[roles.index("leader")]
        assert time.monotonic() < deadline, roles
        time.sleep(0.1)


def _new_ticket(desk: Desk, subject: str) -> int:  # noqa: F811
    """A ticket opened by the admin (another user than the tabs'), in the agent's queue."""
    return int(
        desk.api(
            "POST",
            "/tickets",
            json={"subject": subject, "body": "Chegou pelo WhatsApp.", "queue_id": desk.n1,
                  "requester": {"name": "Rita", "email": "rita@loja.example"}},
        )["id"]
    )  # fmt: skip


def test_the_tabs_of_one_browser_share_one_stream_and_hand_it_over(
    open_page: Any,  # noqa: F811
    desk: Desk,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    first = open_page(desk.agent_email)
    context = first.context
    second = context.new_page()
    second.goto(f"{desk.server.base}/tickets")
    third = context.new_page()
    third.goto(f"{desk.server.base}/tickets/{desk.tickets['caixa']}")
    pages = [first, second, third]
    for page in pages:
        page.set_default_timeout(LIVE_TIMEOUT)
        _live(page)
    leader = _one_leader(pages)
    assert _open_streams(desk, 1) == 1

    # another user's action reaches all three tabs through the one stream
    created = _new_ticket(desk, "Balança não pesa")
    for page in (first, second):
        expect(page.locator(f'tr[data-ticket="{created}"]')).to_be_visible()
    for page in pages:
        expect(page.locator("body")).to_have_attribute(
            "data-live-last", f"ticket_created:{created}"
        )
    desk.api(
        "POST",
        f"/tickets/{desk.tickets['caixa']}/messages",
        json={"body": "Bom dia! Já verificamos o caixa. Ficou alguma dúvida?"},
    )
    expect(third.get_by_text("Já verificamos o caixa.")).to_be_visible()
    assert _open_streams(desk, 1) == 1

    # the leader tab closes: another takes the lock and resumes from the last event it saw,
    # so an event made during the hand-over arrives, and so does the next one
    leader.close()
    during = _new_ticket(desk, "Impressora fiscal offline")
    rest = [p for p in pages if p is not leader]
    _one_leader(rest)
    for page in rest:
        _live(page)
        if page is not third:
            expect(page.locator(f'tr[data-ticket="{during}"]')).to_be_visible()
    assert _open_streams(desk, 1) == 1
    after = _new_ticket(desk, "Etiqueta sem preço")
    for page in rest:
        expect(page.locator("body")).to_have_attribute("data-live-last", f"ticket_created:{after}")
        if page is not third:
            expect(page.locator(f'tr[data-ticket="{during}"]')).to_be_visible()
            expect(page.locator(f'tr[data-ticket="{after}"]')).to_be_visible()
    assert _open_streams(desk, 1) == 1
