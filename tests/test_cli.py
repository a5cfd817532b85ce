"""The ``atende`` command, run in-process on its own scratch database (SQLite file or a
PostgreSQL database named after the test database), checked through its output and the API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from atende.cli import app
from atende.settings import Settings


@pytest.fixture
def cli_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the kind under test (the shared test schema stays untouched)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/cli.db"
        return
    import psycopg

    server, name = database_url.rsplit("/", 1)
    scratch = f"{name}_cli"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    yield f"{server}/{scratch}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def run(url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    environment: dict[str, str | None] = {"ATENDE_DATABASE_URL": url, "ATENDE_PASSWORD": None}
    environment.update(env or {})
    return CliRunner().invoke(app, list(args), env=environment)


@pytest.fixture
def migrated(cli_url: str) -> str:
    result = run(cli_url, "migrate")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stderr
    return cli_url


@contextmanager
def api(url: str, tmp_path: Path, token: str) -> Iterator[Any]:
    """A TestClient on the real app bound to ``url``, sending ``token``."""
    from atende.app import create_app

    settings = Settings(
        database_url=url, data_dir=tmp_path / "data", secret_key="k" * 32, run_worker=False
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def token_for(url: str, email: str) -> str:
    result = run(url, "create-token", "--email", email)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Traceback" not in result.output


# --- users and tokens ------------------------------------------------------------------------


def test_create_user_then_token_authenticates_against_the_api(
    migrated: str, tmp_path: Path
) -> None:
    created = run(
        migrated,
        "create-user",
        "--email",
        "Maria.Silva@Solis.example",
        "--name",
        "Maria Silva",
        "--role",
        "admin",
        "--password",
        "senha-segura-1",
    )
    assert created.exit_code == 0, created.output
    assert "maria.silva@solis.example" in created.stderr

    result = run(migrated, "create-token", "--email", "maria.silva@solis.example", "--name", "ci")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1  # stdout holds the token and nothing else
    token = result.stdout.strip()
    assert token.startswith("atd_") and " " not in token
    assert "ci" in result.stderr and token not in result.stderr

    with api(migrated, tmp_path, token) as client:
        res = client.get("/api/v1/users")
        assert res.status_code == 200, res.text
        assert [u["email"] for u in res.json()["items"]] == ["maria.silva@solis.example"]
        assert client.get("/api/v1/users/me").json()["role"] == "admin"
        client.headers["Authorization"] = "Bearer " + token[:-1] + "x"
        assert client.get("/api/v1/users").status_code == 401


def test_password_may_come_from_the_environment_and_logs_in(migrated: str, tmp_path: Path) -> None:
    result = run(
        migrated,
        "create-user",
        "--email",
        "joao@solis.example",
        "--name",
        "João",
        env={"ATENDE_PASSWORD": "vem-do-ambiente"},
    )
    assert result.exit_code == 0, result.output
    token = token_for(migrated, "joao@solis.example")
    with api(migrated, tmp_path, token) as client:
        me = client.get("/api/v1/users/me").json()
        assert me["role"] == "agent"  # the default role
        assert me["name"] == "João"


def test_duplicate_email_is_refused_in_one_line(migrated: str) -> None:
    args = ("create-user", "--email", "ana@solis.example", "--name", "Ana",
            "--password", "cafe-com-leite-42")  # fmt: skip
    assert run(migrated, *args).exit_code == 0
    again = run(migrated, *args[:2], "ANA@solis.example", *args[3:])
    assert_one_line_error(again, "already exists", "ana@solis.example")


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--role", "boss", "--password", "12345678"], ("unknown role", "boss")),
        (["--role", "contact", "--password", "12345678"], ("unknown role",)),
        (["--password", "curta"], ("password", "at least 8")),
        (["--password", "senha123"], ("password", "most common")),
        (["--password", "Bia-2026!"], ("password", "name or e-mail", "'bia'")),
        ([], ("password is required",)),  # no terminal: never prompts
    ],
)
def test_bad_user_input_is_refused_in_one_line(
    migrated: str, extra: list[str], needles: tuple[str, ...]
) -> None:
    result = run(migrated, "create-user", "--email", "bia@solis.example", "--name", "Bia", *extra)
    assert_one_line_error(result, *needles)


def test_invalid_email_is_refused(migrated: str) -> None:
    result = run(
        migrated, "create-user", "--email", "sem-arroba", "--name", "X", "--password", "12345678"
    )
    assert_one_line_error(result, "email")


def test_token_for_unknown_user_fails(migrated: str) -> None:
    assert_one_line_error(
        run(migrated, "create-token", "--email", "ninguem@solis.example"), "no user"
    )


def test_commands_on_an_unmigrated_database_say_what_to_do(cli_url: str) -> None:
    result = run(cli_url, "create-token", "--email", "x@solis.example")
    assert_one_line_error(result, "atende migrate")


# --- demo ------------------------------------------------------------------------------------


def pages(client: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        res = client.get(path, params=query)
        assert res.status_code == 200, res.text
        body = res.json()
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items


def test_demo_loads_once_and_if_empty_never_duplicates(migrated: str, tmp_path: Path) -> None:
    from atende.domain.documents import cnpj_is_valid

    first = run(migrated, "demo", "--if-empty")
    assert first.exit_code == 0, first.output
    assert "admin@solis.example" in first.stderr and "atende-demo" in first.stderr
    assert first.stdout == ""

    second = run(migrated, "demo", "--if-empty")
    assert second.exit_code == 0, second.output
    assert "not loaded" in second.stderr
    forced = run(migrated, "demo")
    assert_one_line_error(forced, "already has users")

    token = token_for(migrated, "admin@solis.example")
    with api(migrated, tmp_path, token) as client:
        plans = client.get("/api/v1/plans").json()
        assert sorted(p["name"] for p in plans) == sorted(
            ["Prime", "Plus", "Premium", "Light", "Básico", "Essencial"]
        )
        assert {p["name"] for p in plans if p["includes_field_desk"]} == {
            "Prime",
            "Plus",
            "Premium",
        }
        queues = client.get("/api/v1/queues").json()
        assert sorted(q["name"] for q in queues) == sorted(
            [
                "Suporte N1",
                "Prime - Especialistas",
                "Financeiro",
                "Clientes",
                "Field Desk",
                "Special Service",
            ]
        )
        assert all(q["member_ids"] for q in queues)

        orgs = pages(client, "/api/v1/organizations")
        assert len(orgs) == 20
        assert all(cnpj_is_valid(o["document"]) for o in orgs)
        assert len({o["document"] for o in orgs}) == 20
        assert sum(o["key_account"] and o["stores"] >= 15 for o in orgs) >= 3
        assert any(o["delinquent"] and o["system_blocked"] for o in orgs)
        assert any(o["delinquent"] and not o["system_blocked"] for o in orgs)

        contacts = pages(client, "/api/v1/contacts")
        assert len(contacts) >= 40
        assert all(c["phone"].startswith("+55") and c["email"] for c in contacts)

        users = pages(client, "/api/v1/users")
        assert {u["role"] for u in users} == {"admin", "supervisor", "agent"}

        tickets = pages(client, "/api/v1/tickets")
        assert len(tickets) == 200
        assert {t["channel"] for t in tickets} == {
            "chat",
            "email",
            "phone",
            "whatsapp",
            "telegram",
            "teams",
            "portal",
            "api",
        }
        statuses = {t["status"] for t in tickets}
        assert {"new", "open", "resolved", "closed"} <= statuses


# --- import ----------------------------------------------------------------------------------


def test_import_reports_the_bad_lines_and_exits_1(
    migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import atende.cli

    monkeypatch.setattr(atende.cli, "IMPORT_BATCH", 2)  # line numbers survive the batches
    run(
        migrated,
        *("create-user", "--email", "adm@solis.example", "--name", "Adm", "--role", "admin"),
        env={"ATENDE_PASSWORD": "cafe-com-leite-42"},
    )
    good = {
        "subject": "PDV travado na loja 3",
        "body": "O caixa 2 trava ao finalizar a venda.",
        "channel": "whatsapp",
        "requester": {"name": "Carla Lima", "email": "carla@paodeouro.example"},
        "external_id": "freshdesk-1",
        "created_at": "2026-10-01T12:00:00+00:00",
        "status": "closed",
        "resolved_at": "2026-10-01T14:00:00+00:00",
        "closed_at": "2026-10-03T14:00:00+00:00",
    }
    other = {**good, "subject": "Boleto em atraso", "channel": "email", "external_id": "fd-2"}
    bad = {**good, "subject": "Sem canal válido", "channel": "pombo-correio", "external_id": "x"}
    lines = [json.dumps(good), json.dumps(bad), json.dumps(other), "{não é json"]
    path = tmp_path / "tickets.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run(migrated, "import", "tickets", str(path), "--as", "adm@solis.example")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert "tickets imported: 2, already imported (skipped): 0, failed: 2" in result.stderr
    reported = [line.strip() for line in result.stderr.splitlines() if "line " in line]
    assert reported[0].startswith("line 2 (channel):")
    assert reported[1] == "line 4: malformed JSON"

    again = run(migrated, "import", "tickets", str(path))  # the first admin by default
    assert again.exit_code == 1
    assert "importing as adm@solis.example" in again.stderr
    assert "tickets imported: 0, already imported (skipped): 2, failed: 2" in again.stderr

    token = token_for(migrated, "adm@solis.example")
    with api(migrated, tmp_path, token) as client:
        tickets = pages(client, "/api/v1/tickets")
    assert sorted(t["subject"] for t in tickets) == ["Boleto em atraso", "PDV travado na loja 3"]
    assert {t["status"] for t in tickets} == {"closed"}


def test_import_of_a_clean_file_exits_0(migrated: str, tmp_path: Path) -> None:
    run(
        migrated,
        *("create-user", "--email", "adm@solis.example", "--name", "Adm", "--role", "admin"),
        env={"ATENDE_PASSWORD": "cafe-com-leite-42"},
    )
    path = tmp_path / "ok.jsonl"
    ticket = {"subject": "Dúvida sobre o SPED", "requester": {"email": "a@loja.example"}}
    path.write_text(json.dumps(ticket) + "\n\n", encoding="utf-8")  # blank lines are ignored
    result = run(migrated, "import", "tickets", str(path))
    assert result.exit_code == 0, result.output
    assert "tickets imported: 1, already imported (skipped): 0, failed: 0" in result.stderr


def test_import_needs_an_admin(migrated: str, tmp_path: Path) -> None:
    run(
        migrated,
        *(
            "create-user",
            "--email",
            "ag@solis.example",
            "--name",
            "Ag",
            "--password",
            "cafe-com-leite-42",
        ),
    )
    path = tmp_path / "t.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    result = run(migrated, "import", "tickets", str(path), "--as", "ag@solis.example")
    assert_one_line_error(result, "not an active admin")
    assert_one_line_error(run(migrated, "import", "tickets", str(path)), "no active admin")


# --- serve -----------------------------------------------------------------------------------


def start_server(url: str, tmp_path: Path, *, workers: int) -> tuple[subprocess.Popen[str], str]:
    """``atende serve`` in a child process on a free port, once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "ATENDE_DATABASE_URL": url,
        "ATENDE_DATA_DIR": str(tmp_path / "data"),
        "ATENDE_SECRET_KEY": "k" * 32,
    }
    command = [sys.executable, "-c", "from atende.cli import app; app()", "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            pytest.fail(f"the server exited early:\n{server.communicate()[0]}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the server did not start within 60 s:\n{server.communicate()[0]}")
        time.sleep(0.3)


def stop_with_sigterm(server: subprocess.Popen[str]) -> str:
    server.send_signal(signal.SIGTERM)
    try:
        output, _ = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        output, _ = server.communicate()
        pytest.fail(f"the server ignored SIGTERM:\n{output}")
    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert "Application shutdown complete" in output
    return output


def test_serve_shares_the_database_with_the_cli_and_stops_cleanly_on_sigterm(
    migrated: str, tmp_path: Path
) -> None:
    """Two worker processes on one database; a token created by the CLI while the server runs
    is accepted at once; SIGTERM ends the server with exit status 0."""
    server, base = start_server(migrated, tmp_path, workers=2)
    try:
        created = run(
            migrated,
            *("create-user", "--email", "ops@solis.example", "--name", "Ops", "--role", "admin"),
            env={"ATENDE_PASSWORD": "cafe-com-leite-42"},
        )
        assert created.exit_code == 0, created.output
        headers = {"Authorization": f"Bearer {token_for(migrated, 'ops@solis.example')}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            assert client.get("/api/v1/users").status_code == 200
            for n in range(6):  # new connections: both workers get some of them
                res = client.post(
                    "/api/v1/tickets",
                    json={
                        "subject": f"PDV travado {n}",
                        "body": "O caixa trava ao finalizar a venda.",
                        "channel": "chat",
                        "requester": {"email": f"loja{n}@paodeouro.example"},
                    },
                    headers={"Connection": "close"},
                )
                assert res.status_code == 201, res.text
            listed = client.get("/api/v1/tickets", params={"limit": 50}).json()["items"]
            assert len(listed) == 6
    finally:
        output = stop_with_sigterm(server)
    assert output.count("Application shutdown complete") == 2


def test_single_process_serve_exits_0_on_sigterm(migrated: str, tmp_path: Path) -> None:
    server, _base = start_server(migrated, tmp_path, workers=1)
    stop_with_sigterm(server)


# --- jobs ------------------------------------------------------------------------------------


def test_worker_once_runs_due_jobs_and_jobs_list_and_retry_show_them(migrated: str) -> None:
    from atende.db.engine import make_engine, make_sessionmaker, transaction
    from atende.jobs import outbox

    engine = make_engine(migrated)
    with transaction(make_sessionmaker(engine)) as session:
        # an e-mail without SMTP configured: dead at once, with the reason
        outbox.enqueue(
            session, "notify.email", idempotency_key="cli-test", to=["a@b.example"],
            subject="Oi", text="Olá",
        )  # fmt: skip
    engine.dispose()
    ran = run(migrated, "worker", "--once", env={"ATENDE_SMTP_HOST": None})
    assert ran.exit_code == 0, ran.output
    assert "ran 2 job(s)" in ran.stderr  # the upgrade's backfill job and the e-mail
    listed = run(migrated, "jobs", "list", "--state", "dead")
    assert listed.exit_code == 0, listed.output
    assert "notify.email" in listed.stdout and "ATENDE_SMTP_HOST" in listed.stdout
    retried = run(migrated, "jobs", "retry", "--all-dead")
    assert retried.exit_code == 0 and "1 job(s) queued again" in retried.stderr
    assert "queued 1" in run(migrated, "jobs", "list").stdout
    refused = run(migrated, "jobs", "retry")
    assert_one_line_error(refused, "give job ids or --all-dead")
    missing = run(migrated, "jobs", "retry", "999999")
    assert_one_line_error(missing, "job 999999 not found")
