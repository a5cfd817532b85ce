"""The admin area (web/admin/): its overview for admins, the lists a supervisor reads, a 404
for everyone else."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_agenda import _login


def test_admins_open_the_administration_and_agents_do_not(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", name="Ana", password=PASSWORD)
    _login(client, boss)
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Administração" in page.text and 'href="/admin" aria-current="page"' in page.text
    client.cookies.clear()
    _login(client, make_user("agent", password=PASSWORD))
    refused = client.get("/admin")
    assert refused.status_code == 404
    assert 'href="/admin"' not in client.get("/tickets").text
