"""An organization's billing facts (seed 002: the system blocks 7 days after the unpaid due
date): ``overdue_since`` must be a due date of its ``billing_due_day`` and not in the future
(#15 item 6: a contradicting date was accepted, and the block date computed from it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

ORGS = "/api/v1/organizations"
TODAY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def refused(res: Any, field: str = "overdue_since") -> str:
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in res.json()["errors"]] == [field]
    return str(res.json()["detail"])


@time_machine.travel(TODAY, tick=False)
def test_an_overdue_date_must_be_a_due_date_of_the_billing_day(admin: Any) -> None:
    body = {"name": "Padaria", "billing_due_day": 5, "delinquent": True}
    detail = refused(admin.post(ORGS, json={**body, "overdue_since": "2026-11-10"}))
    assert "billing_due_day 5" in detail and "2026-11-05" in detail
    made = admin.post(ORGS, json={**body, "overdue_since": "2026-10-05"})
    assert made.status_code == 201, made.text
    assert made.json()["blocked_from"] == "2026-10-12"  # seed 002: due on the 5th, blocked 12th
    assert made.json()["system_blocked"] is True

    # a due day past the month's end falls on its last day
    last = {"name": "Mercado", "billing_due_day": 31, "delinquent": True}
    assert admin.post(ORGS, json={**last, "overdue_since": "2026-09-30"}).status_code == 201
    refused(admin.post(ORGS, json={**last, "overdue_since": "2026-09-29"}))
    # without a billing day any past date is taken
    free = admin.post(
        ORGS, json={"name": "Loja", "delinquent": True, "overdue_since": "2026-11-03"}
    )
    assert free.status_code == 201 and free.json()["blocked_from"] == "2026-11-10"


@time_machine.travel(TODAY, tick=False)
def test_an_overdue_date_in_the_future_is_refused(admin: Any) -> None:
    detail = refused(
        admin.post(
            ORGS, json={"name": "Padaria", "delinquent": True, "overdue_since": "2026-12-05"}
        )
    )
    assert "future" in detail
    org = admin.post(ORGS, json={"name": "Açougue", "billing_due_day": 5}).json()
    refused(
        admin.patch(f"{ORGS}/{org['id']}", json={"delinquent": True, "overdue_since": "2026-12-05"})
    )
    assert admin.get(f"{ORGS}/{org['id']}").json()["delinquent"] is False  # nothing half-written


@time_machine.travel(TODAY, tick=False)
def test_a_patch_is_checked_against_the_stored_billing_day(admin: Any) -> None:
    org = admin.post(ORGS, json={"name": "Padaria", "billing_due_day": 15}).json()
    refused(
        admin.patch(f"{ORGS}/{org['id']}", json={"delinquent": True, "overdue_since": "2026-11-05"})
    )
    ok = admin.patch(
        f"{ORGS}/{org['id']}", json={"delinquent": True, "overdue_since": "2026-11-15"}
    )
    assert ok.status_code == 200 and ok.json()["blocked_from"] == "2026-11-22"
    # both together: checked against the new billing day
    both = admin.patch(
        f"{ORGS}/{org['id']}", json={"billing_due_day": 10, "overdue_since": "2026-11-10"}
    )
    assert both.status_code == 200, both.text
    refused(
        admin.patch(
            f"{ORGS}/{org['id']}", json={"billing_due_day": 20, "overdue_since": "2026-11-10"}
        )
    )
    # a new billing day alone keeps the unpaid date already owed (a fact of the old contract)
    moved = admin.patch(f"{ORGS}/{org['id']}", json={"billing_due_day": 25})
    assert moved.status_code == 200 and moved.json()["overdue_since"] == "2026-11-10"
    # a delinquent customer with no date given owes since the latest due date
    fresh = admin.post(ORGS, json={"name": "Mercado", "billing_due_day": 20, "delinquent": True})
    assert fresh.json()["overdue_since"] == "2026-11-20"
