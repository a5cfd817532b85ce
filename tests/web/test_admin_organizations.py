"""``/admin/organizations``: an admin searches and pages through the customers, writes their
billing (plan, due day, overdue since, key account, manager) through the API's models and
workflow (audited) and sees the block date it gives; refusals come back in Portuguese with what
was typed; other roles get a 404."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_date
from fastapi.testclient import TestClient

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"
BASE = "/admin/organizations"


def org_form(csrf: str, **fields: str) -> dict[str, str]:
    base = {
        "csrf_token": csrf,
        "name": "",
        "document": "",
        "plan_id": "",
        "stores": "0",
        "account_manager_id": "",
        "billing_due_day": "",
        "overdue_since": "",
        "notes": "",
    }
    return {**base, **fields}  # fmt: skip


def shown(day: Any) -> str:
    return format_date(day, "short", locale="pt_BR")


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {f"{BASE}/new": lambda t: org_form(t, name="Padaria")}
    assert_admins_only(client, make_user, [f"{BASE}/new"], forms, readable=[BASE])
    assert ok(make_user("admin").get(f"{V1}/organizations"))["items"] == []


def test_an_admin_writes_an_organizations_billing_and_sees_its_block_date(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    csrf = _login(client, boss)
    prime = ok(boss.post(f"{V1}/plans", json={"name": "Prime"}), 201)["id"]
    contact_ok = make_user("agent", name="Gil Gerente")
    today = datetime.now(UTC).date()
    since = today - timedelta(days=30)
    made = client.post(
        f"{BASE}/new",
        data=org_form(csrf, name="Padaria Pão Quente", document="11.222.333/0001-81",
                      plan_id=str(prime), key_account="true", stores="3",
                      account_manager_id=str(contact_ok.id), billing_due_day=str(since.day),
                      delinquent="true", overdue_since=since.isoformat(), notes="Cliente antigo"),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    org_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    stored = ok(boss.get(f"{V1}/organizations/{org_id}"))
    assert (stored["document"], stored["plan_name"], stored["key_account"], stored["stores"]) == (
        "11222333000181",
        "Prime",
        True,
        3,
    )
    assert stored["delinquent"] and stored["overdue_since"] == since.isoformat()
    assert stored["system_blocked"] is True
    page = client.get(made.headers["location"]).text
    assert "A organização foi salva." in page
    blocked_from = since + timedelta(days=7)
    assert f"Sistema bloqueado desde {shown(blocked_from)}" in page
    # a contact with the role focal point is shown as such
    ok(boss.post(f"{V1}/contacts", json={"name": "Joana Lojista", "role": "focal_point",
                                          "organization_id": org_id}), 201)  # fmt: skip
    assert "Joana Lojista" in client.get(f"{BASE}/{org_id}").text
    # paid: no longer delinquent; the date is dropped, the change audited
    saved = client.post(
        f"{BASE}/{org_id}",
        data=org_form(csrf, name="Padaria Pão Quente", document="11222333000181",
                      plan_id=str(prime), stores="3", billing_due_day=str(since.day)),
    )  # fmt: skip
    assert saved.status_code == 200 and "Em dia" in saved.text
    stored = ok(boss.get(f"{V1}/organizations/{org_id}"))
    assert stored["delinquent"] is False and stored["overdue_since"] is None
    assert stored["key_account"] is False and stored["account_manager_id"] is None
    audit = ok(boss.get(f"{V1}/audit", params={"entity_type": "organization"}))["items"]
    assert [a["action"] for a in audit] == ["updated", "created"]
    assert audit[0]["changes"]["delinquent"] == {"before": True, "after": False}
    # overdue two days ago: not blocked yet, the page says when it will be
    recent = today - timedelta(days=2)
    client.post(
        f"{BASE}/{org_id}",
        data=org_form(csrf, name="Padaria Pão Quente", billing_due_day=str(recent.day),
                      delinquent="true", overdue_since=recent.isoformat()),
    )  # fmt: skip
    listed = client.get(f"{BASE}?q=pão").text
    assert "Padaria Pão Quente" in listed
    assert (
        f"Inadimplente desde {shown(recent)}; bloqueia em {shown(recent + timedelta(days=7))}"
        in (listed)
    )


def test_refusals_keep_what_was_typed_and_say_why(client: TestClient, make_user: Any) -> None:
    boss = make_user("admin", password=PASSWORD)
    csrf = _login(client, boss)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    page = client.post(
        f"{BASE}/new",
        data=org_form(csrf, name="Mercado Bom", document="11.222.333/0001-00",
                      billing_due_day="40", stores="muitas"),
    )  # fmt: skip
    assert page.status_code == 422
    assert 'id="err-billing_due_day"' in page.text and "Deve ser no máximo 31" in page.text
    assert 'id="err-stores"' in page.text
    assert 'value="Mercado Bom"' in page.text and 'value="40"' in page.text
    page = client.post(
        f"{BASE}/new", data=org_form(csrf, name="Mercado Bom", document="11.222.333/0001-00")
    )
    assert page.status_code == 422 and 'id="err-document"' in page.text
    assert 'value="11.222.333/0001-00"' in page.text
    page = client.post(
        f"{BASE}/new",
        data=org_form(csrf, name="Mercado Bom", delinquent="true", overdue_since=tomorrow),
    )
    assert page.status_code == 422 and 'id="err-overdue_since"' in page.text
    assert "está no futuro" in html.unescape(page.text)
    page = client.post(f"{BASE}/new", data=org_form(csrf, name=""))
    assert page.status_code == 422 and 'id="err-name"' in page.text
    assert ok(boss.get(f"{V1}/organizations"))["items"] == []


def test_thousands_of_organizations_are_searched_and_paged(
    client: TestClient, make_user: Any
) -> None:
    boss = make_user("admin", password=PASSWORD)
    _login(client, boss)
    for i in range(53):
        ok(boss.post(f"{V1}/organizations", json={"name": f"Loja {i:02d}"}), 201)
    ok(boss.post(f"{V1}/organizations", json={"name": "Farmácia Central"}), 201)
    first = client.get(BASE).text
    assert first.count('<tr data-org="') == 50
    assert "Loja 00" in first and "Loja 49" in first and "Loja 50" not in first
    after = first.split('href="/admin/organizations?after=')[1].split('"')[0]
    second = client.get(f"{BASE}?after={after}").text
    assert second.count('<tr data-org="') == 4
    assert "Loja 50" in second and "Farmácia Central" in second and "Próxima página" not in second
    found = client.get(f"{BASE}?q=farm").text
    assert found.count('<tr data-org="') == 1 and "Farmácia Central" in found
    assert "Nenhuma organização encontrada." in client.get(f"{BASE}?q=zzz").text
