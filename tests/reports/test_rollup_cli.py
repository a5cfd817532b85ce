"""``atende reports rollup [--rebuild]`` on a real database (the demo company's facts): it
catches the rollup up at once, a second run has nothing to add, and the rebuild starts over in
``ATENDE_REPORT_TIMEZONE``; the API then answers from the rollup what it answers from the
facts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from atende.db.engine import make_engine, make_sessionmaker
from atende.reports import rollup
from atende.reports.models import MetricFact
from tests.reports.test_rollup import assert_agree
from tests.test_cli import api, cli_url, migrated, run, token_for

__all__ = ["cli_url", "migrated"]  # the fixtures this module uses


def rolled_up(output: str) -> int:
    found = re.search(r"(\d+) fact\(s\) rolled up", output)
    assert found, output
    return int(found.group(1))


def test_the_command_catches_up_and_rebuilds(migrated: str, tmp_path: Path) -> None:
    assert run(migrated, "demo").exit_code == 0
    engine = make_engine(migrated)
    with make_sessionmaker(engine)() as session:
        facts = session.scalar(select(func.count()).select_from(MetricFact))
    assert facts
    first = run(migrated, "reports", "rollup")
    assert first.exit_code == 0, first.output
    assert rolled_up(first.stderr) == facts
    assert rolled_up(run(migrated, "reports", "rollup").stderr) == 0
    rebuilt = run(migrated, "reports", "rollup", "--rebuild", env={"ATENDE_REPORT_TIMEZONE": "UTC"})
    assert rolled_up(rebuilt.stderr) == facts
    with make_sessionmaker(engine)() as session:
        st = rollup.state(session)
        assert st is not None and st.zone == "UTC"
    engine.dispose()
    now = datetime.now(UTC)
    params = {"from": (now - timedelta(days=90)).isoformat(), "to": now.isoformat()}
    with api(migrated, tmp_path, token_for(migrated, "admin@solis.example")) as client:
        for shape in ({}, {"group_by": "queue"}, {"group_by": "day", "tz": "UTC"}):
            got = [
                client.get("/api/v1/reports/metrics", params={**params, **shape, "precision": p})
                for p in ("estimate", "exact")
            ]
            assert all(r.status_code == 200 for r in got), got[0].text
            assert_agree(got[0].json(), got[1].json())
