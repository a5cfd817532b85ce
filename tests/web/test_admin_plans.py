"""``/admin/plans``: an admin creates and edits plans (Field Desk visits included, or their
discount) through the API's service and models (audited); refusals come back in Portuguese with
what was typed; other roles get a 404."""

from __future__ import annotations

import html
from typing import Any

from fastapi.testclient import TestClient

from .admin_support import assert_admins_only
from .conftest import PASSWORD
from .test_admin_rules import ok
from .test_agenda import _login

V1 = "/api/v1"


def test_other_roles_get_a_404(client: TestClient, make_user: Any) -> None:
    forms = {"/admin/plans": lambda t: {"csrf_token": t, "name": "Prime"}}
    assert_admins_only(client, make_user, [], forms, readable=["/admin/plans"])
    assert ok(make_user("admin").get(f"{V1}/plans")) == []


def test_an_admin_creates_and_edits_plans(client: TestClient, make_user: Any) -> None:
    boss = make_user("admin", name="Ana Admin", password=PASSWORD)
    csrf = _login(client, boss)
    made = client.post(
        "/admin/plans",
        data={"csrf_token": csrf, "name": "Prime", "rank": "10", "description": "Especialistas",
              "includes_field_desk": "true", "field_desk_discount_percent": "0"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    client.post(
        "/admin/plans",
        data={"csrf_token": csrf, "name": "Plus", "rank": "5",
              "field_desk_discount_percent": "38"},
    )  # fmt: skip
    plans = ok(boss.get(f"{V1}/plans"))
    assert [(p["name"], p["rank"], p["includes_field_desk"], p["field_desk_discount_percent"])
            for p in plans] == [("Prime", 10, True, 0), ("Plus", 5, False, 38)]  # fmt: skip
    page = client.get("/admin/plans?saved=1").text
    assert "O plano foi salvo." in page
    assert "incluídas" in page and "pagas, com 38% de desconto" in page
    plus = plans[1]["id"]
    edit = client.get(f"/admin/plans/{plus}")
    assert edit.status_code == 200 and 'value="38"' in edit.text
    client.post(
        f"/admin/plans/{plus}",
        data={"csrf_token": csrf, "name": "Plus", "rank": "5", "description": "",
              "includes_field_desk": "true", "field_desk_discount_percent": "0"},
    )  # fmt: skip
    assert ok(boss.get(f"{V1}/plans/{plus}"))["includes_field_desk"] is True
    audit = ok(boss.get(f"{V1}/audit", params={"entity_type": "plan"}))["items"]
    assert [a["action"] for a in audit] == ["updated", "created", "created"]
    # refused: a discount over 100, a name taken; what was typed comes back
    bad = client.post(
        "/admin/plans",
        data={"csrf_token": csrf, "name": "Básico", "rank": "x",
              "field_desk_discount_percent": "150"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="err-field_desk_discount_percent"' in bad.text and 'id="err-rank"' in bad.text
    assert "Deve ser no máximo 100" in bad.text and 'value="Básico"' in bad.text
    taken = client.post(
        f"/admin/plans/{plus}", data={"csrf_token": csrf, "name": "Prime", "rank": "1"}
    )
    assert taken.status_code == 422 and 'id="err-name"' in taken.text
    assert "Já existe um plano chamado 'Prime'" in html.unescape(taken.text)
    assert client.get("/admin/plans/999999").status_code == 404
