"""A supervisor reads the admin lists that help their work (users of their queues, queues, pause
reasons, calendars, SLA policies, canned replies, plans, organizations) without a form to change
them; every other admin page, and every change, stays an admin's (404); agents and contacts get
404 everywhere under /admin."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from .admin_support import READABLE, assert_read_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
ADMIN_ONLY = (
    "/admin/rules",
    "/admin/rules/new",
    "/admin/mailboxes",
    "/admin/chat",
    "/admin/channels",
    "/admin/reply-check",
    "/admin/users/new",
    "/admin/queues/new",
    "/admin/calendars/new",
    "/admin/sla/new",
    "/admin/canned-replies/new",
    "/admin/organizations/new",
)


def _menu(html: str) -> list[str]:
    """The links of the admin side menu, in order."""
    nav = html.split('class="admin-menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


def _desk(make_user: Any) -> dict[str, Any]:
    """An admin's configuration: two queues, a calendar, a policy, a pause reason, a canned
    reply, a plan and an organization; a supervisor of Suporte N1 with one agent in it, and an
    agent of Financeiro only."""
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    n1 = ok(boss.post(f"{V1}/queues", json={"name": "Suporte N1"}), 201)["id"]
    money = ok(boss.post(f"{V1}/queues", json={"name": "Financeiro"}), 201)["id"]
    cal = ok(
        boss.post(
            f"{V1}/calendars",
            json={
                "name": "Comercial SP",
                "timezone": "America/Sao_Paulo",
                "weekly_hours": {"monday": [["08:00", "18:00"]]},
            },
        ),
        201,
    )["id"]
    policy = ok(boss.post(f"{V1}/sla-policies", json={"name": "Padrão", "calendar_id": cal}), 201)
    reason = ok(boss.post(f"{V1}/pause-reasons", json={"name": "Almoço"}), 201)
    canned = ok(
        boss.post(
            f"{V1}/canned-replies",
            json={"name": "Boas-vindas", "body": "Olá, {{contact.first_name|cliente}}!"},
        ),
        201,
    )
    plan = ok(boss.post(f"{V1}/plans", json={"name": "Prime"}), 201)
    org = ok(boss.post(f"{V1}/organizations", json={"name": "Padaria Pão Quente"}), 201)
    return {
        "boss": boss,
        "sup": make_user("supervisor", name="Sara Supervisora", queue_ids=[n1], password=PASSWORD),
        "mine": make_user("agent", name="Igor Atendente", queue_ids=[n1], password=PASSWORD),
        "other": make_user("agent", name="Olga Cobrança", queue_ids=[money], password=PASSWORD),
        "records": {
            "/admin/queues": ["Suporte N1", "Financeiro"],
            "/admin/pause-reasons": ["Almoço"],
            "/admin/calendars": ["Comercial SP"],
            "/admin/sla": ["Padrão"],
            "/admin/canned-replies": ["Boas-vindas"],
            "/admin/plans": ["Prime"],
            "/admin/organizations": ["Padaria Pão Quente"],
        },
        "ids": {
            "policy": policy["id"],
            "reason": reason["id"],
            "canned": canned["id"],
            "plan": plan["id"],
            "org": org["id"],
            "queue": n1,
            "calendar": cal,
        },
    }


def test_a_supervisor_reads_the_lists_of_their_work_without_forms(
    client: TestClient, make_user: Any
) -> None:
    desk = _desk(make_user)
    _login(client, desk["sup"])
    assert 'href="/admin"' in client.get("/tickets").text  # the top bar leads there
    home = client.get("/admin")
    assert_read_only(home, "/admin")
    assert _menu(home.text) == ["/admin", *READABLE]  # only what they may read
    cards = home.text.split('class="admin-cards"', 1)[1]
    assert "/admin/rules" not in cards and "/admin/mailboxes" not in cards
    for url, names in desk["records"].items():
        page = client.get(url)
        assert_read_only(page, url)
        for name in names:
            assert name in page.text, (url, name)
        assert not re.search(rf'href="{url}/\d+"', page.text), url  # no way to the edit form
    users = client.get("/admin/users")
    assert_read_only(users, "/admin/users")
    # the people of their own queue, not of another
    assert "Igor Atendente" in users.text and "Sara Supervisora" in users.text
    assert "Olga Cobrança" not in users.text and "Ana Admin" not in users.text
    assert "Igor" in client.get("/admin/users", params={"q": "igor"}).text
    assert "Igor" not in client.get("/admin/users", params={"role": "supervisor"}).text
    # the SLA "what if" stays the admin's (as in the API): a supervisor is not shown it
    asked = client.get(
        "/admin/sla", params={"policy": str(desk["ids"]["policy"]), "start": "2026-10-09T19:00"}
    )
    assert_read_only(asked, "/admin/sla")
    assert "whatif-title" not in asked.text and 'data-target="first_response"' not in asked.text


def test_a_supervisor_gets_a_404_on_every_form_and_every_change(
    client: TestClient, make_user: Any
) -> None:
    desk = _desk(make_user)
    ids = desk["ids"]
    token = _login(client, desk["sup"])
    edits = (
        f"/admin/users/{desk['mine'].user.id}",
        f"/admin/queues/{ids['queue']}",
        f"/admin/calendars/{ids['calendar']}",
        f"/admin/sla/{ids['policy']}",
        f"/admin/canned-replies/{ids['canned']}",
        f"/admin/plans/{ids['plan']}",
        f"/admin/organizations/{ids['org']}",
    )
    for url in (*ADMIN_ONLY, *edits):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Esta página não existe." in page.text, url
    changes = {
        "/admin/pause-reasons": {"name": "Café"},
        f"/admin/pause-reasons/{ids['reason']}": {"name": "Café"},
        f"/admin/pause-reasons/{ids['reason']}/active": {"active": "false"},
        "/admin/plans": {"name": "Plus"},
        f"/admin/plans/{ids['plan']}": {"name": "Plus"},
        f"/admin/canned-replies/{ids['canned']}/delete": {},
        f"/admin/users/{desk['mine'].user.id}/active": {"active": "false"},
        f"/admin/sla/{ids['policy']}/delete": {"confirm": "true"},
        "/admin/queues/new": {"name": "Tomada", "assignment_mode": "manual"},
    }
    for url, data in changes.items():
        sent = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
        assert sent.status_code == 404, url
    boss = desk["boss"]
    assert [r["name"] for r in ok(boss.get(f"{V1}/pause-reasons"))] == ["Almoço"]
    assert [p["name"] for p in ok(boss.get(f"{V1}/plans"))] == ["Prime"]
    assert [c["name"] for c in ok(boss.get(f"{V1}/canned-replies"))] == ["Boas-vindas"]
    assert ok(boss.get(f"{V1}/users/{desk['mine'].user.id}"))["active"] is True
    assert ok(boss.get(f"{V1}/sla-policies/{ids['policy']}"))["name"] == "Padrão"


def test_agents_and_contacts_get_a_404_everywhere_under_admin(
    client: TestClient, make_user: Any
) -> None:
    desk = _desk(make_user)
    org = desk["ids"]["org"]
    carla = {"name": "Carla Cliente", "email": "carla@padaria.example", "organization_id": org}
    contact_id = ok(desk["boss"].post(f"{V1}/contacts", json=carla), 201)["id"]
    people = (desk["other"], make_user("contact", contact_id=contact_id, password=PASSWORD))
    for person in people:
        client.cookies.clear()
        _login(client, person)
        for url in ("/admin", *READABLE, *ADMIN_ONLY):
            refused = client.get(url)
            assert refused.status_code == 404, (person.user.role, url)
            assert "Esta página não existe." in refused.text, (person.user.role, url)


def test_a_supervisor_in_no_queue_is_told_why_the_user_list_is_empty(
    client: TestClient, make_user: Any
) -> None:
    make_user("agent", name="Igor Atendente")
    _login(client, make_user("supervisor", name="Sara Supervisora", password=PASSWORD))
    users = client.get("/admin/users")
    assert_read_only(users, "/admin/users")
    assert "Igor Atendente" not in users.text
    assert "Ninguém nas suas filas ainda" in users.text
    assert "Nenhum usuário encontrado." in client.get("/admin/users", params={"q": "x"}).text
