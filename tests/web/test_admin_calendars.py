"""``/admin/calendars``: an admin builds a business calendar from rows of intervals (several a
day), holidays by country and state or city, closed dates and dates with their own hours;
previews the next two weeks (before saving, too) as the SLA's business time computes them;
refusals are said beside the row with what was typed; every save is audited."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from fastapi.testclient import TestClient

from .conftest import PASSWORD, form_token
from .test_admin_users import _admin_in, _field_error, _line
from .test_agenda import _login

V1 = "/api/v1"
SP = ZoneInfo("America/Sao_Paulo")
FRIDAY_18_DEC = datetime(2026, 12, 18, 10, 0, tzinfo=SP)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _form(token: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": token, "name": "Comercial SP", "timezone": "America/Sao_Paulo",
        "country": "BR", "subdivision": "sp", "categories": ["public"],
    }  # fmt: skip
    for day in WEEKDAYS:
        data[f"{day}_start"] = ["08:00", "13:00", ""]
        data[f"{day}_end"] = ["12:00", "18:00", ""]
    return {**data, **extra}


def _day(html: str, iso: str) -> str:
    return _line(html, "day", iso)


def test_an_admin_creates_a_calendar_with_two_intervals_a_day_and_state_holidays(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    form = client.get("/admin/calendars/new")
    assert form.status_code == 200 and "Segunda-feira" in form.text
    made = client.post(
        "/admin/calendars/new",
        data=_form(
            token, extra_closed="31/12/2026",
            partial_date=["2026-12-24", ""], partial_start=["08:00", ""],
            partial_end=["12:00", ""],
        ),
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    listing = client.get(made.headers["location"])
    assert "O calendário foi salvo." in listing.text
    assert "Segunda-feira a Sexta-feira: 08:00–12:00, 13:00–18:00" in listing.text
    assert "Sábado a Domingo: fechado" in listing.text and "BR-SP" in listing.text
    cal = next(c for c in boss.get(f"{V1}/calendars").json() if c["name"] == "Comercial SP")
    assert cal["weekly_hours"]["monday"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert cal["weekly_hours"]["saturday"] == []
    assert cal["holidays"] == {"country": "BR", "subdivision": "SP", "categories": ["public"]}
    assert cal["extra_closed"] == ["2026-12-31"]
    assert cal["partial_days"] == {"2026-12-24": [["08:00", "12:00"]]}
    entry = boss.get(
        f"{V1}/audit", params={"entity_type": "calendar", "entity_id": cal["id"]}
    ).json()["items"][0]
    assert entry["action"] == "created" and entry["actor_id"] == boss.id


def test_the_saved_calendar_previews_the_next_two_weeks_with_holidays_named(
    client: TestClient, make_user: Any
) -> None:
    boss, _token = _admin_in(client, make_user)
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Comercial SP", "timezone": "America/Sao_Paulo",
              "weekly_hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in WEEKDAYS},
              "holidays": {"country": "BR", "subdivision": "SP"},
              "extra_closed": ["2026-12-31"],
              "partial_days": {"2026-12-24": [["08:00", "12:00"]]}},
    ).json()  # fmt: skip
    with time_machine.travel(FRIDAY_18_DEC, tick=False):
        page = client.get(f"/admin/calendars/{cal['id']}")
    assert page.status_code == 200
    assert 'value="08:00"' in page.text and 'value="13:00"' in page.text
    assert _day(page.text, "2026-12-18").endswith("08:00–12:00, 13:00–18:00")
    assert "fechado" in _day(page.text, "2026-12-19")  # Saturday
    assert "Natal" in _day(page.text, "2026-12-25") and "fechado" in _day(page.text, "2026-12-25")
    assert "08:00–12:00" in _day(page.text, "2026-12-24")
    assert "13:00" not in _day(page.text, "2026-12-24")
    assert "data fechada" in _day(page.text, "2026-12-31")
    assert re.findall(r'<li data-day="([\d-]+)">', page.text)[-1] == "2026-12-31"  # 14 days


def test_what_is_typed_is_previewed_without_saving_and_rows_are_added_without_js(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    more = client.post("/admin/calendars/new", data=_form(token, more="saturday"))
    assert more.status_code == 200
    assert 'id="saturday-s-1"' in more.text  # typed rows kept, one more empty row
    assert 'value="Comercial SP"' in more.text
    night = {"friday_start": ["08:00", "22:00"], "friday_end": ["12:00", "06:00"]}
    with time_machine.travel(FRIDAY_18_DEC, tick=False):
        preview = client.post("/admin/calendars/new", data=_form(token, action="preview", **night))
    assert preview.status_code == 200
    assert "22:00–06:00 (dia seguinte)" in _day(preview.text, "2026-12-18")
    assert 'value="22:00"' in preview.text
    assert boss.get(f"{V1}/calendars").json() == []  # nothing saved


def test_refusals_are_said_beside_the_row_with_what_was_typed(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    boss.post(
        f"{V1}/calendars",
        json={"name": "Existente", "timezone": "America/Sao_Paulo",
              "weekly_hours": {"monday": [["08:00", "18:00"]]}},
    )  # fmt: skip
    overlap = {"tuesday_start": ["08:00", "11:00"], "tuesday_end": ["12:00", "18:00"]}
    cases = [
        (overlap, "weekly_hours.tuesday.1", "sobrep"),
        ({"monday_start": ["8h", ""], "monday_end": ["12:00", ""]}, "weekly_hours.monday.0", "8h"),
        ({"wednesday_start": ["09:00"], "wednesday_end": ["09:00"]}, "weekly_hours.wednesday.0",
         "vazio"),
        ({"subdivision": "XX"}, "holidays.subdivision", "XX"),
        ({"country": "ZZ"}, "holidays.country", "ZZ"),
        ({"timezone": "Marte/Olimpo"}, "timezone", "Marte/Olimpo"),
        ({"name": "Existente"}, "name", "já existe"),
        ({"extra_closed": "32/12/2026"}, "extra_closed", "data"),
        ({"partial_date": ["2026-12-24"], "partial_start": ["08:00"], "partial_end": ["25:00"]},
         "partial_days.2026-12-24", "25:00"),
    ]  # fmt: skip
    for extra, field, words in cases:
        page = client.post("/admin/calendars/new", data=_form(token, **extra))
        assert page.status_code == 422, (field, page.text[:300])
        said = _field_error(page.text, field.replace(".", "-"))
        assert words.lower() in said.lower(), (field, said)
        assert "Nada foi salvo" in page.text
    never = {f"{d}_start": [""] for d in WEEKDAYS} | {f"{d}_end": [""] for d in WEEKDAYS}
    closed = client.post("/admin/calendars/new", data=_form(token, name="Nunca", **never))
    assert "nunca abre" in _field_error(closed.text, "weekly_hours").lower()
    assert [c["name"] for c in boss.get(f"{V1}/calendars").json()] == ["Existente"]


def test_an_edit_is_saved_audited_and_reevaluates(client: TestClient, make_user: Any) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Plantão", "timezone": "America/Sao_Paulo",
              "weekly_hours": {"monday": [["08:00", "18:00"]]}},
    ).json()  # fmt: skip
    saved = client.post(
        f"/admin/calendars/{cal['id']}",
        data=_form(token, name="Plantão", country="", subdivision=""),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    got = boss.get(f"{V1}/calendars/{cal['id']}").json()
    assert got["weekly_hours"]["friday"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert got["holidays"] is None
    change = boss.get(
        f"{V1}/audit", params={"entity_type": "calendar", "entity_id": cal["id"]}
    ).json()["items"][0]
    assert change["action"] == "updated" and "weekly_hours" in change["changes"]


def test_only_admins_reach_the_calendars(client: TestClient, make_user: Any) -> None:
    boss, _token = _admin_in(client, make_user)
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Plantão", "timezone": "America/Sao_Paulo",
              "weekly_hours": {"monday": [["08:00", "18:00"]]}},
    ).json()  # fmt: skip
    assert client.get("/admin/calendars/999999").status_code == 404
    for role in ("supervisor", "agent"):
        client.cookies.clear()
        _login(client, make_user(role, password=PASSWORD))
        mine = form_token(client.get("/tickets").text)
        listed = client.get("/admin/calendars")  # a supervisor reads the list, no form
        assert listed.status_code == (200 if role == "supervisor" else 404), role
        assert client.get(f"/admin/calendars/{cal['id']}").status_code == 404
        sneaky = client.post(f"/admin/calendars/{cal['id']}", data=_form(mine, name="Tomado"))
        assert sneaky.status_code == 404
    assert boss.get(f"{V1}/calendars/{cal['id']}").json()["name"] == "Plantão"


def test_the_preview_starts_on_a_chosen_day_to_check_the_holidays_ahead(
    client: TestClient, make_user: Any
) -> None:
    boss, token = _admin_in(client, make_user)
    cal = boss.post(
        f"{V1}/calendars",
        json={"name": "Comercial SP", "timezone": "America/Sao_Paulo",
              "weekly_hours": {d: [["08:00", "18:00"]] for d in WEEKDAYS},
              "holidays": {"country": "BR", "subdivision": "São Paulo Capital"}},
    ).json()  # fmt: skip
    page = client.get(f"/admin/calendars/{cal['id']}", params={"from": "2027-01-20"})
    lines = re.findall(r'<li data-day="([\d-]+)">', page.text)
    assert (lines[0], len(lines)) == ("2027-01-20", 14)
    assert "Aniversário da Cidade de São Paulo" in _day(page.text, "2027-01-25")
    assert "fechado" in _day(page.text, "2027-01-25")
    typed = client.post(
        f"/admin/calendars/{cal['id']}",
        data=_form(token, name="Comercial SP", action="preview", preview_from="25/12/2026"),
    )
    assert "Natal" in _day(typed.text, "2026-12-25")
    assert boss.get(f"{V1}/calendars/{cal['id']}").json()["weekly_hours"]["monday"] == [
        ["08:00", "18:00"]
    ]  # previewing saved nothing
