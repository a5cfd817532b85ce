"""Business calendars through /api/v1/calendars: create, read, change, due and elapsed."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SPLIT: dict[str, Any] = {
    "name": "Special Service",
    "timezone": "America/Sao_Paulo",
    "weekly_hours": {
        **{d: [["08:30", "12:00"], ["13:30", "18:00"]] for d in WEEKDAYS[:5]},
        "saturday": [],
        "sunday": [],
    },
    "holidays": {"country": "BR", "subdivision": None, "categories": ["public"]},
    "extra_closed": [],
    "partial_days": {"2026-12-24": [["08:30", "12:00"]]},
    "open_on_holidays": False,
}


def create(admin: Any, **changes: Any) -> dict[str, Any]:
    r = admin.post("/api/v1/calendars", json={**SPLIT, **changes})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def due(user: Any, cal_id: int, start: str, minutes: int) -> Any:
    return user.get(f"/api/v1/calendars/{cal_id}/due?start={quote(start)}&minutes={minutes}")


def elapsed(user: Any, cal_id: int, start: str, end: str) -> Any:
    return user.get(f"/api/v1/calendars/{cal_id}/elapsed?start={quote(start)}&end={quote(end)}")


def test_create_read_list_and_patch(admin: Any, make_user: Any) -> None:
    cal = create(admin)
    assert cal["name"] == "Special Service"
    assert cal["weekly_hours"]["monday"] == [["08:30", "12:00"], ["13:30", "18:00"]]
    assert cal["holidays"] == {"country": "BR", "subdivision": None, "categories": ["public"]}
    assert cal["partial_days"] == {"2026-12-24": [["08:30", "12:00"]]}
    agent = make_user("agent")
    assert agent.get(f"/api/v1/calendars/{cal['id']}").json()["name"] == "Special Service"
    assert [c["id"] for c in agent.get("/api/v1/calendars").json()] == [cal["id"]]

    r = admin.patch(f"/api/v1/calendars/{cal['id']}", json={"open_on_holidays": True})
    assert r.status_code == 200, r.text
    assert r.json()["open_on_holidays"] is True
    assert r.json()["weekly_hours"] == cal["weekly_hours"]


def test_only_admins_change_calendars_and_contacts_see_none(admin: Any, make_user: Any) -> None:
    cal = create(admin)
    agent = make_user("agent")
    assert agent.post("/api/v1/calendars", json={**SPLIT, "name": "x"}).status_code == 403
    assert agent.patch(f"/api/v1/calendars/{cal['id']}", json={"name": "y"}).status_code == 403
    contact = make_user("contact")
    assert contact.get("/api/v1/calendars").status_code == 403
    assert admin.get("/api/v1/calendars/999999").status_code == 404


def test_duplicate_name_conflicts(admin: Any) -> None:
    create(admin)
    r = admin.post("/api/v1/calendars", json={**SPLIT, "name": "special service"})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"weekly_hours": {"monday": [["08:00", "12:00"], ["11:00", "13:00"]]}},
            "weekly_hours.monday[1]",
        ),
        ({"weekly_hours": {"monday": [["08:00", "08:00"]]}}, "weekly_hours.monday[0]"),
        ({"weekly_hours": {"monday": [["8h", "12:00"]]}}, "weekly_hours.monday[0]"),
        ({"weekly_hours": {"monday": [["24:00", "12:00"]]}}, "weekly_hours.monday[0]"),
        ({"weekly_hours": {"funday": [["08:00", "12:00"]]}}, "weekly_hours.funday"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"holidays": {"country": "BR", "subdivision": "XX"}}, "holidays.subdivision"),
        ({"holidays": {"country": "ZZ"}}, "holidays.country"),
        ({"holidays": {"country": "BR", "categories": ["nope"]}}, "holidays.categories[0]"),
        ({"extra_closed": ["2026-12-24"]}, "partial_days.2026-12-24"),
        ({"weekly_hours": {"monday": []}, "partial_days": {}}, "weekly_hours"),
    ],
)
def test_invalid_calendars_are_refused_naming_the_field(
    admin: Any, changes: dict[str, Any], field: str
) -> None:
    r = admin.post("/api/v1/calendars", json={**SPLIT, **changes})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["field"] == field, body


def test_invalid_patch_is_refused_and_changes_nothing(admin: Any) -> None:
    cal = create(admin)
    r = admin.patch(
        f"/api/v1/calendars/{cal['id']}",
        json={"weekly_hours": {"monday": [["22:00", "06:00"]], "tuesday": [["05:00", "09:00"]]}},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "weekly_hours.tuesday[0]"
    assert admin.get(f"/api/v1/calendars/{cal['id']}").json()["weekly_hours"] == cal["weekly_hours"]


def test_subdivision_accepts_the_iso_form(admin: Any) -> None:
    cal = create(admin, holidays={"country": "br", "subdivision": "BR-SP"})
    assert cal["holidays"] == {"country": "BR", "subdivision": "SP", "categories": ["public"]}
    # 9 July is a São Paulo state holiday (Revolução Constitucionalista), a Thursday in 2026.
    r = due(admin, cal["id"], "2026-07-08T17:00:00-03:00", 120)
    assert r.json()["due_at"] == "2026-07-10T09:30:00-03:00"


def test_due_straddles_lunch_and_lands_on_closing_time(admin: Any, make_user: Any) -> None:
    cal = create(admin)
    agent = make_user("agent")
    r = due(agent, cal["id"], "2026-03-03T11:30:00-03:00", 60)
    assert r.status_code == 200, r.text
    assert r.json() == {"due_at": "2026-03-03T14:00:00-03:00"}
    # used up exactly at Friday's closing: the due is 18:00, not Monday 08:30
    assert due(agent, cal["id"], "2026-03-06T17:00:00-03:00", 60).json()["due_at"] == (
        "2026-03-06T18:00:00-03:00"
    )
    # seconds are kept; UTC input works; a start outside hours counts from the opening
    assert due(agent, cal["id"], "2026-03-03T14:26:36.900Z", 10).json()["due_at"] == (
        "2026-03-03T11:36:36-03:00"
    )
    assert due(agent, cal["id"], "2026-03-07T10:00:00-03:00", 30).json()["due_at"] == (
        "2026-03-09T09:00:00-03:00"
    )
    # partial day: 24 Dec open until 12:00, 25 Dec holiday
    assert due(agent, cal["id"], "2026-12-24T11:00:00-03:00", 120).json()["due_at"] == (
        "2026-12-28T09:30:00-03:00"
    )


def test_a_plus_sign_decoded_as_a_space_is_tolerated(admin: Any) -> None:
    cal = create(admin)
    r = admin.get(f"/api/v1/calendars/{cal['id']}/due?start=2026-03-03T11:30:00+00:00&minutes=30")
    assert r.status_code == 200, r.text
    assert r.json()["due_at"] == "2026-03-03T09:00:00-03:00"


def test_elapsed(admin: Any) -> None:
    cal = create(admin)
    r = elapsed(admin, cal["id"], "2026-03-03T11:30:00-03:00", "2026-03-03T14:00:00-03:00")
    assert r.json() == {"business_seconds": 3600}
    same = "2026-03-03T10:00:00-03:00"
    assert elapsed(admin, cal["id"], same, same).json() == {"business_seconds": 0}
    # Friday evening before Monday: nothing
    r = elapsed(admin, cal["id"], "2026-03-06T18:00:00-03:00", "2026-03-09T08:30:00-03:00")
    assert r.json() == {"business_seconds": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-03-03T10:00:00&minutes=10", "start"),
        ("start=yesterday&minutes=10", "start"),
        ("start=2026-03-03T10:00:00Z&minutes=0", "minutes"),
        ("start=2026-03-03T10:00:00Z&minutes=-5", "minutes"),
        ("start=2026-03-03T10:00:00Z&minutes=ten", "minutes"),
        ("start=1969-06-01T10:00:00Z&minutes=10", "start"),
        ("start=2101-06-01T10:00:00Z&minutes=10", "start"),
        ("minutes=10", "start"),
        ("start=2100-12-01T10:00:00Z&minutes=500000", "minutes"),
    ],
)
def test_due_refuses_bad_input(admin: Any, query: str, field: str) -> None:
    cal = create(admin)
    r = admin.get(f"/api/v1/calendars/{cal['id']}/due?{query.replace('+', '%2B')}")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field


def test_elapsed_refuses_end_before_start_and_naive_end(admin: Any) -> None:
    cal = create(admin)
    r = elapsed(admin, cal["id"], "2026-03-03T10:00:00Z", "2026-03-03T09:00:00Z")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "end"
    r = elapsed(admin, cal["id"], "2026-03-03T10:00:00Z", "2026-03-03T11:00:00")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "end"


def test_patched_calendar_is_used_at_once(admin: Any) -> None:
    cal = create(admin)
    start = "2026-03-03T11:30:00-03:00"
    assert due(admin, cal["id"], start, 60).json()["due_at"] == "2026-03-03T14:00:00-03:00"
    admin.patch(
        f"/api/v1/calendars/{cal['id']}",
        json={"weekly_hours": {d: [["00:00", "24:00"]] for d in WEEKDAYS}},
    )
    assert due(admin, cal["id"], start, 60).json()["due_at"] == "2026-03-03T12:30:00-03:00"


def test_always_open_and_night_shift_calendars(admin: Any) -> None:
    always = create(
        admin, name="24x7", weekly_hours={d: [["00:00", "24:00"]] for d in WEEKDAYS}, holidays=None
    )
    r = due(admin, always["id"], "2026-12-31T23:00:00-03:00", 120)
    assert r.json()["due_at"] == "2027-01-01T01:00:00-03:00"
    night = create(
        admin, name="Night", weekly_hours={"monday": [["22:00", "06:00"]]}, holidays=None
    )
    assert due(admin, night["id"], "2026-03-02T23:00:00-03:00", 240).json()["due_at"] == (
        "2026-03-03T03:00:00-03:00"
    )
    r = elapsed(admin, night["id"], "2026-03-02T00:00:00-03:00", "2026-03-04T00:00:00-03:00")
    assert r.json() == {"business_seconds": 8 * 3600}


def test_dst_new_york(admin: Any) -> None:
    cal = create(
        admin,
        name="NY",
        timezone="America/New_York",
        weekly_hours={d: [["00:00", "24:00"]] for d in WEEKDAYS},
        holidays=None,
    )
    r = elapsed(admin, cal["id"], "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")
    assert r.json() == {"business_seconds": 23 * 3600}


def test_built_calendars_are_cached_and_rebuilt_on_change(admin: Any, db: Any) -> None:
    from atende.calendars import service
    from atende.calendars.models import Calendar

    cal = create(admin)
    row = db.get(Calendar, cal["id"])
    built = service.business_calendar(row)
    assert service.business_calendar(row) is built
    admin.patch(f"/api/v1/calendars/{cal['id']}", json={"extra_closed": ["2026-03-04"]})
    db.refresh(row)
    assert service.business_calendar(row) is not built


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("São Paulo Capital", "São Paulo Capital"),  # a municipal calendar, by its name
        ("SAO PAULO CAPITAL", "São Paulo Capital"),
        ("são paulo", "SP"),  # a state by its name
        ("sp", "SP"),
    ],
)
def test_subdivisions_are_found_by_name_or_code_in_any_case(
    admin: Any, given: str, stored: str
) -> None:
    """Seed 003: municipal holidays must be usable by their names (the name was upper-cased
    before the lookup, and "São Paulo Capital" answered 422)."""
    cal = create(admin, holidays={"country": "BR", "subdivision": given})
    assert cal["holidays"]["subdivision"] == stored


def test_a_municipal_holiday_moves_a_due_instant(admin: Any) -> None:
    cal = create(admin, holidays={"country": "BR", "subdivision": "São Paulo Capital"})
    # 25 January 2027 (a Monday) is São Paulo's anniversary: the city's calendar skips it
    r = due(admin, cal["id"], "2027-01-22T17:00:00-03:00", 120)
    assert r.json()["due_at"] == "2027-01-26T09:30:00-03:00"
