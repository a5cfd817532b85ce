"""The metrics report through the API: % SLA met per target (public and private), who reads
what (an agent their own figures, a supervisor their queues', an admin all, a contact nothing),
bad input named, and the exports (CSV with BOM and ``;``, formula injection neutralised; XLSX)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import time_machine

from tests.reports.helpers import (
    V1,
    World,
    agent_replies,
    at,
    build,
    change,
    ok,
    open_ticket,
    report,
)
from tests.sla.helpers import make_calendar, make_policy

H = 3600
URL = f"{V1}/reports/metrics"


def two_tickets(w: World) -> tuple[int, int]:
    """Alice answers hers in 30 min; Bruno answers his in 2 business hours."""
    t1 = open_ticket(w, at(16, 9, 0))
    change(w.admin, t1, at(16, 9, 5), assignee_id=w.a.id)
    agent_replies(w.a, t1, at(16, 9, 30))
    t2 = open_ticket(w, at(16, 9, 0), queue=w.other_queue, channel="email")
    change(w.admin, t2, at(16, 9, 5), assignee_id=w.b.id)
    agent_replies(w.b, t2, at(16, 11, 0))
    return t1, t2


def test_sla_met_percent_per_target_public_and_private(admin: Any, make_user: Any) -> None:
    w = build(admin, make_user, greeting=False)
    cal = make_calendar(
        admin,
        "SLA",
        weekly_hours={
            d: [["08:00", "18:00"]]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
    )
    make_policy(
        admin,
        "Padrão",
        cal,
        first_response_minutes=60,
        resolution_minutes=600,
        private_targets={"first_response_minutes": 20},
    )
    t1, _ = two_tickets(w)
    (team,) = report(admin)
    # first response: Alice in 30 min (met), Bruno in 2 h (breached); the private target of
    # 20 min: both breached
    assert team["sla_met_percent"] == {"first_response": 50.0, "private_first_response": 0.0}
    change(w.a, t1, at(16, 12, 0), status="resolved")  # 3 business hours of 10: met
    (team,) = report(admin)
    assert team["sla_met_percent"]["resolution"] == 100.0
    rows = report(admin, group_by="agent")
    by_agent = {r["group"]["agent_id"]: r["sla_met_percent"] for r in rows}
    assert by_agent[w.a.id]["first_response"] == 100.0
    assert by_agent[w.b.id]["first_response"] == 0.0


def test_an_agent_reads_their_own_a_supervisor_their_queues(admin: Any, make_user: Any) -> None:
    w = build(admin, make_user, greeting=False)
    two_tickets(w)
    # Alice sees only her own answer, even when she asks for Bruno's
    (mine,) = report(w.a)
    assert mine["tmpr"]["count"] == 1 and mine["tmpr"]["mean_s"] == 1800
    (asked,) = report(w.a, agent_id=w.b.id)
    assert asked["tmpr"] is None
    # a supervisor of Financeiro sees that queue's figures only (Bruno's ticket)
    sup = make_user("supervisor", queue_ids=[w.other_queue])
    rows = report(sup, group_by="queue")
    assert [r["group"] for r in rows] == [{"queue_id": w.other_queue}]
    assert rows[0]["tmpr"]["mean_s"] == 2 * H
    # the admin sees both queues
    assert len(report(admin, group_by="queue")) == 2
    # a contact may not read reports at all
    contact = make_user("contact", contact_id=w.contact)
    res = contact.get(URL, params={"from": at(16, 0).isoformat(), "to": at(17, 0).isoformat()})
    assert res.status_code == 403 and res.headers["content-type"] == "application/problem+json"


def test_a_supervisor_of_no_queue_reads_the_whole_desk(admin: Any, make_user: Any) -> None:
    # supervisors read every ticket; one who belongs to no queue supervises the whole desk
    # (an empty dashboard was shown before)
    w = build(admin, make_user, greeting=False)
    two_tickets(w)
    boss = make_user("supervisor")
    rows = report(boss, group_by="queue")
    assert sorted(r["group"]["queue_id"] for r in rows) == sorted([w.queue, w.other_queue])
    assert report(boss) == report(admin)


def test_grouped_by_tag_each_ticket_counts_under_each_of_its_tags(
    admin: Any, make_user: Any
) -> None:
    w = build(admin, make_user, greeting=False)
    t1, t2 = two_tickets(w)  # first responses: 30 min (t1) and 2 h (t2)
    change(w.admin, t1, at(16, 12, 0), tags=["boleto", "prime"])
    change(w.admin, t2, at(16, 12, 0), tags=["boleto"])
    rows = {r["group"]["tag"]: r for r in report(admin, group_by="tag")}
    assert set(rows) == {"boleto", "prime"}  # an untagged ticket would be in no group
    assert rows["boleto"]["tmpr"]["count"] == 2
    assert rows["boleto"]["tmpr"]["mean_s"] == (1800 + 2 * H) / 2
    assert rows["prime"]["tmpr"]["count"] == 1 and rows["prime"]["tmpr"]["mean_s"] == 1800
    assert rows["boleto"]["counts"]["created"] == 2 and rows["boleto"]["counts"]["backlog"] == 2
    csv = admin.get(
        URL,
        params={"from": at(16, 0).isoformat(), "to": at(17, 0).isoformat(), "group_by": "tag"},
        headers={"Accept": "text/csv"},
    )
    assert csv.status_code == 200 and "boleto" in csv.text and "prime" in csv.text


def test_bad_input_is_named(admin: Any) -> None:
    def refused(params: dict[str, str], field: str, words: str) -> None:
        res = admin.get(URL, params=params)
        assert res.status_code == 422, res.text
        problem = res.json()
        assert res.headers["content-type"] == "application/problem+json"
        assert words in problem["detail"] or any(
            words in e.get("message", "") for e in problem.get("errors", [])
        ), problem
        fields = [e.get("field") for e in problem.get("errors", [])]
        assert field in fields or field in problem["detail"], problem

    start, end = at(16, 0).isoformat(), at(17, 0).isoformat()
    refused({"to": end}, "from", "required")
    refused({"from": "2026-11-16T00:00:00", "to": end}, "from", "timezone")
    refused({"from": end, "to": start}, "to", "after")
    refused({"from": at(16, 0).isoformat(), "to": "2028-01-01T00:00:00Z"}, "to", "400 days")
    refused({"from": start, "to": end, "group_by": "planet"}, "group_by", "agent")
    refused({"from": start, "to": end, "tz": "Mars/Olympus"}, "tz", "time zone")


def test_csv_and_xlsx_exports(admin: Any, make_user: Any) -> None:
    w = build(admin, make_user, greeting=False)
    two_tickets(w)
    params = {"from": at(16, 0).isoformat(), "to": at(17, 0).isoformat(), "group_by": "channel"}
    res = admin.get(URL, params=params, headers={"Accept": "text/csv"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    lines = res.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    assert header[:3] == ["channel", "tmpr_count", "tmpr_mean_s"]
    chat = dict(zip(header, lines[1].split(";"), strict=True))
    email = dict(zip(header, lines[2].split(";"), strict=True))
    assert chat["channel"] == "chat" and chat["tmpr_mean_s"] == "1800"
    assert email["tmpr_p90_business_s"] == "7200" and email["created"] == "1"
    comma = admin.get(URL, params={**params, "format": "csv", "delimiter": ","})
    assert comma.content.decode("utf-8-sig").splitlines()[0].startswith("channel,tmpr_count,")
    xlsx = admin.get(URL, params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = zipfile.ZipFile(io.BytesIO(xlsx.content))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    strings = (
        book.read("xl/sharedStrings.xml").decode()
        if "xl/sharedStrings.xml" in book.namelist()
        else ""
    )
    assert "tmpr_mean_s" in sheet + strings and "email" in sheet + strings
    assert re.search(r"<v>1800</v>", sheet)


def test_the_breach_report_names_the_target_the_overrun_and_the_reason(
    admin: Any, make_user: Any
) -> None:
    w = build(admin, make_user, greeting=False)
    cal = make_calendar(
        admin,
        "SLA",
        weekly_hours={
            d: [["08:00", "18:00"]]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
    )
    make_policy(
        admin,
        "Padrão",
        cal,
        first_response_minutes=60,
        private_targets={"first_response_minutes": 20},
    )
    t1, t2 = two_tickets(w)
    # the supervisor says why Bruno's first response was late
    with time_machine.travel(at(16, 12, 0), tick=False):
        ok(
            admin.post(
                f"{V1}/tickets/{t2}/sla/breach-reasons",
                json={"kind": "first_response", "category": "waiting_other_department", "note": ""},
            ),
            201,
        )
    params = {"from": at(16, 0).isoformat(), "to": at(17, 0).isoformat()}
    with time_machine.travel(at(16, 13, 0), tick=False):
        public = ok(
            admin.get(f"{V1}/reports/sla-breaches", params={**params, "target": "first_response"})
        )
        every = ok(admin.get(f"{V1}/reports/sla-breaches", params=params))
    (row,) = public["rows"]
    assert row["ticket_id"] == t2 and row["target"] == "first_response"
    assert row["agent_id"] == w.b.id and row["target_s"] == H
    # due at 10:00, answered at 11:00: an hour late, in calendar and business time
    assert row["overrun_s"] == H and row["overrun_business_s"] == H
    assert row["reason"] == "waiting_other_department"
    # the private target (20 min) was missed by both, no reason recorded
    assert sorted((r["ticket_id"], r["target"]) for r in every["rows"]) == sorted(
        [(t2, "first_response"), (t1, "private_first_response"), (t2, "private_first_response")]
    )
    assert every["by_reason"] == {"none": 2, "waiting_other_department": 1}
    # exportable; an agent sees their own breaches only
    csv_text = admin.get(f"{V1}/reports/sla-breaches", params={**params, "format": "csv"})
    assert csv_text.content.decode("utf-8-sig").splitlines()[0].startswith("ticket_id;subject;")
    mine = ok(w.a.get(f"{V1}/reports/sla-breaches", params=params))
    assert [(r["ticket_id"], r["target"]) for r in mine["rows"]] == [(t1, "private_first_response")]


def test_a_breach_found_by_the_sweeper_is_one_outcome(
    admin: Any, make_user: Any, session_factory: Any
) -> None:
    from atende.workflows import sweeps

    w = build(admin, make_user, greeting=False)
    cal = make_calendar(
        admin,
        "24x7",
        weekly_hours={
            d: [["00:00", "24:00"]]
            for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        },
    )
    make_policy(admin, "Padrão", cal, first_response_minutes=60)
    t = open_ticket(w, at(16, 9, 0))
    change(admin, t, at(16, 9, 5), assignee_id=w.a.id)
    assert sweeps.sla_deadlines(session_factory, at(16, 10, 30)) == 1  # due at 10:00
    params = {"from": at(16, 0).isoformat(), "to": at(17, 0).isoformat()}
    with time_machine.travel(at(16, 10, 40), tick=False):
        found = ok(admin.get(f"{V1}/reports/sla-breaches", params=params))["rows"]
    assert [(r["ticket_id"], r["agent_id"], r["met_at"]) for r in found] == [(t, w.a.id, None)]
    assert found[0]["overrun_s"] == 40 * 60  # due 10:00, not met at 10:40
    agent_replies(w.a, t, at(16, 11, 0))  # late: the clock says breached, already counted
    (team,) = report(admin)
    assert team["sla_met_percent"] == {"first_response": 0.0}
    with time_machine.travel(at(16, 12, 0), tick=False):
        (late,) = ok(admin.get(f"{V1}/reports/sla-breaches", params=params))["rows"]
    assert late["overrun_s"] == H and late["met_at"] == "2026-11-16T14:00:00Z"
