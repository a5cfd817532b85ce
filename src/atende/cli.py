"""The ``atende`` command: serve, migrate, users and tokens, demo data, imports.

Every command reads the database from ``ATENDE_DATABASE_URL`` (default ``sqlite:///./atende.db``).
Errors end with one line on stderr and a non-zero exit code, never a traceback. Output meant for
scripts (the token of ``create-token``) is the only thing written to stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from atende.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from atende.auth.actor import Actor

app = typer.Typer(
    help="Atende helpdesk: serve the app and administer its database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Import data from other helpdesks.", no_args_is_help=True)
app.add_typer(import_app, name="import")
jobs_app = typer.Typer(help="Inspect and retry durable jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
reports_app = typer.Typer(help="The reports' rollup of the metric facts.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")
err = Console(stderr=True, highlight=False, soft_wrap=True)

STAFF_ROLES = ("admin", "supervisor", "agent")


def _settings() -> Settings:
    return Settings()


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _one_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"])
            parts.append(f"{where}: {e['msg']}" if where else e["msg"])
        return "; ".join(parts)
    text = " ".join(str(exc).split())
    return text[:300]


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on the configured database; errors become one-line messages."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DatabaseError, OperationalError

    from atende.db.engine import make_engine, make_sessionmaker, transaction
    from atende.domain.errors import DomainError

    settings = _settings()
    try:
        engine = make_engine(settings.database_url)
    except Exception as exc:  # a malformed URL or a missing driver
        fail(f"cannot use database {settings.database_url!r}: {_one_line(exc)}")
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    except DomainError as exc:
        field = f" ({exc.field})" if exc.field else ""
        fail(f"{exc.message}{field}")
    except ValidationError as exc:
        fail(_one_line(exc))
    except (OperationalError, DatabaseError) as exc:
        detail = " ".join(str(exc.orig or exc).split())[:300]
        hint = ""
        if "no such table" in detail or "does not exist" in detail:
            hint = " (run `atende migrate` first)"
        fail(f"database error: {detail}{hint}")
    finally:
        engine.dispose()


# --- schema and server ---------------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest version."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    from atende.db.engine import make_engine
    from atende.db.migrate import upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    except (OperationalError, DatabaseError) as exc:
        fail(f"cannot migrate: {' '.join(str(exc.orig or exc).split())[:300]}")
    finally:
        engine.dispose()
    err.print(
        f"database at [bold]{engine.url.render_as_string(hide_password=True)}[/] is up to date"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="processes sharing the database")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="log a line per request (off behind a proxy that logs them)")
    ] = True,
) -> None:
    """Serve the web app and the API (migrates first). Stops cleanly on SIGTERM or Ctrl-C."""
    import signal

    import uvicorn

    from atende import serving

    migrate()
    os.environ.setdefault("ATENDE_SERVE", "1")
    # Uvicorn drains the requests in flight on SIGTERM, then raises the signal again so the
    # process would die of it (exit status 143). The shutdown was orderly: exit with 0 instead.
    previous = signal.signal(signal.SIGTERM, _exit_after_shutdown)
    share = None
    if workers > 1:
        # keep-alive connections spread over the processes (atende/serving.py: Balance)
        share = serving.create_share()
        os.environ[serving.SHARE_ENV] = share
        os.environ[serving.WORKERS_ENV] = str(workers)
    try:
        uvicorn.run(
            "atende.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            timeout_graceful_shutdown=10,
            # The login throttle keys on the socket peer: never let X-Forwarded-For rewrite it.
            proxy_headers=False,
            access_log=access_log,
            # uvloop's event loop and httptools' C parser, with TCP_NODELAY on every connection
            # (with --workers N asyncio leaves it off).
            loop="uvloop" if _has_uvloop() else "asyncio",
            http="atende.serving:NoDelayHttpToolsProtocol",
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        if share is not None:
            os.environ.pop(serving.SHARE_ENV, None)
            with contextlib.suppress(OSError):
                os.unlink(share)


def _has_uvloop() -> bool:
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


def _exit_after_shutdown(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


# --- durable jobs -------------------------------------------------------------------------


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="run the sweeps and the due jobs once, then exit")
    ] = False,
) -> None:
    """Run a job worker: due jobs, SLA warnings and breaches, auto-close, time rules.

    Any number of workers may run at once on PostgreSQL. Stops after the job in hand on SIGTERM
    or Ctrl-C. ``atende serve`` already runs one in-process (ATENDE_RUN_WORKER=false turns it off).
    """
    import logging
    import signal

    from atende.db.engine import make_engine, make_sessionmaker
    from atende.worker import Worker

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    engine = make_engine(settings.database_url)
    runner = Worker(settings, make_sessionmaker(engine))
    if once:
        ran = runner.drain()
        err.print(f"ran {ran} job(s)")
        engine.dispose()
        return

    def stop(_signum: int, _frame: object) -> None:
        runner.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from atende.channels import smtp_receiver

    receiver = smtp_receiver.start(settings, runner.sessions)  # with ATENDE_INBOUND_SMTP_PORT
    try:
        runner.run_forever()
    finally:
        if receiver is not None:
            receiver.stop()
        engine.dispose()


def _admin_actor() -> Actor:
    from atende.auth.actor import SYSTEM

    return SYSTEM


@jobs_app.command("list")
def jobs_list(
    state: Annotated[str | None, typer.Option(help="queued, running, done or dead")] = None,
    kind: Annotated[str | None, typer.Option(help="only jobs of this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The newest jobs (id, kind, state, attempts, next run, last error)."""
    from rich.table import Table

    from atende.jobs import service as job_service

    with _session() as session:
        jobs = job_service.list_jobs(
            session, actor=_admin_actor(), state=state, kind=kind, limit=limit
        )
        counts = job_service.counts(session, actor=_admin_actor())
    table = Table(title=" · ".join(f"{k} {v}" for k, v in counts.items()))
    for column in ("id", "kind", "state", "attempts", "run at", "ticket", "last error"):
        table.add_column(column)
    for job in jobs:
        last = job.last_error.strip().splitlines()[-1] if job.last_error.strip() else ""
        table.add_row(
            str(job.id), job.kind, job.state, str(job.attempts),
            job.run_at.isoformat(timespec="seconds"), str(job.ticket_id or ""), escape(last[:120]),
        )  # fmt: skip
    Console(highlight=False, width=200).print(table)


@jobs_app.command("retry")
def jobs_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="job ids")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="retry every dead job")] = False,
) -> None:
    """Queue dead jobs to run again now."""
    from atende.db.base import utcnow
    from atende.jobs import service as job_service

    if not ids and not all_dead:
        fail("give job ids or --all-dead")
    with _session() as session:
        targets = list(ids or [])
        if all_dead:
            targets += [
                j.id
                for j in job_service.list_jobs(
                    session, actor=_admin_actor(), state="dead", limit=100_000
                )
            ]
        for job_id in targets:
            job_service.retry(session, actor=_admin_actor(), job_id=job_id, now=utcnow())
    err.print(f"{len(targets)} job(s) queued again")


@reports_app.command("rollup")
def reports_rollup(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="empty the rollup and build it from every fact")
    ] = False,
) -> None:
    """Bring the reports' rollup up to date now (the worker does it every few seconds); with
    --rebuild, start over in ATENDE_REPORT_TIMEZONE (after changing it, or on an old database)."""
    from atende.db.engine import make_engine, make_sessionmaker
    from atende.reports import rollup

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        if rebuild:
            done = rollup.rebuild(sessions, zone=settings.report_timezone)
        else:
            done = rollup.catch_up_all(sessions)
    finally:
        engine.dispose()
    err.print(f"{done} fact(s) rolled up")


# --- users and tokens ----------------------------------------------------------------------


def _password(given: str | None) -> str:
    if given:
        return given
    from_env = os.environ.get("ATENDE_PASSWORD")
    if from_env:
        return from_env
    if sys.stdin.isatty():
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    fail("a password is required: pass --password or set ATENDE_PASSWORD")


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="login e-mail (unique)")],
    name: Annotated[str, typer.Option(help="full name")],
    role: Annotated[str, typer.Option(help="admin, supervisor or agent")] = "agent",
    password: Annotated[
        str | None,
        typer.Option(
            help="at least 8 characters; else $ATENDE_PASSWORD, else asked on a terminal",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a staff user who can log in to the web and receive API tokens."""
    from atende.agents import service as agents_service
    from atende.agents.schemas import UserIn
    from atende.auth.actor import SYSTEM

    if role not in STAFF_ROLES:
        fail(f"unknown role {role!r}: use one of {', '.join(STAFF_ROLES)}")
    secret = _password(password)
    with _session() as session:
        data = UserIn.model_validate(
            {"email": email, "name": name, "role": role, "password": secret}
        )
        user = agents_service.create_user(session, actor=SYSTEM, data=data.model_dump())
        user_id, user_email = user.id, user.email
    err.print(f"created {role} [bold]{user_email}[/] (id {user_id})")


@app.command("create-token")
def create_token(
    email: Annotated[str, typer.Option(help="e-mail of the user the token acts as")],
    name: Annotated[str, typer.Option(help="a label to recognise the token later")] = "cli",
) -> None:
    """Create an API token; only the token is printed on stdout (shown once, stored hashed)."""
    from atende.agents import repository as agents_repository
    from atende.auth import service as auth_service
    from atende.auth.actor import SYSTEM
    from atende.db.base import utcnow

    with _session() as session:
        user = agents_repository.user_by_email(session, email.strip())
        if user is None:
            fail(f"no user with e-mail {email.strip()!r}")
        token, secret = auth_service.create_token(
            session, user=user, name=name, now=utcnow(), actor=SYSTEM
        )
        prefix, user_email = token.prefix, user.email
    err.print(f"API token {name!r} ({prefix}...) for {user_email}; it is shown only once:")
    typer.echo(secret)


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing (and succeed) when any user exists")
    ] = False,
) -> None:
    """Load the demo: a Brazilian software company, its customers and 200 tickets."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from atende import demo as demo_data
    from atende.db.base import utcnow

    with _session() as session:
        if not demo_data.is_empty(session):
            if if_empty:
                err.print("the database already has users: demo not loaded")
                return
            fail("the database already has users; the demo loads only into an empty database")
        progress = Progress(
            TextColumn("demo tickets"), BarColumn(), MofNCompleteColumn(), console=err
        )
        with progress:
            task = progress.add_task("tickets", total=demo_data.DEFAULT_TICKETS)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = demo_data.load(session, now=utcnow(), on_progress=advance)
    err.print(
        f"demo loaded: {result.plans} plans, {result.queues} queues, {result.users} users, "
        f"{result.organizations} organizations, {result.contacts} contacts, "
        f"{result.tickets} tickets"
    )
    err.print(
        f"log in as [bold]{result.admin_email}[/] with password [bold]{result.password}[/] "
        "(every demo user has this password)"
    )


# --- import ----------------------------------------------------------------------------------


def _import_actor(session: Session, email: str | None) -> Actor:
    from atende.agents import repository as agents_repository
    from atende.auth import service as auth_service

    if email:
        user = agents_repository.user_by_email(session, email.strip())
        if user is None:
            fail(f"no user with e-mail {email.strip()!r}")
        if user.role != "admin" or not user.active:
            fail(f"{user.email} is not an active admin: imports with history need an admin")
    else:
        admins = agents_repository.user_page(session, after_id=None, limit=50, role="admin", q=None)
        active = [u for u in admins if u.active]
        if not active:
            fail("no active admin exists: create one with `atende create-user --role admin`")
        user = active[0]
        err.print(f"importing as {user.email} (choose with --as)")
    return auth_service.actor_for(session, user)


IMPORT_BATCH = 1000  # lines read and imported at a time (importing.py commits every 0.1 s)


@import_app.command("tickets")
def import_tickets(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="JSON lines, one ticket per line"
        ),
    ],
    as_email: Annotated[
        str | None,
        typer.Option("--as", help="admin e-mail to import as (default: the first admin)"),
    ] = None,
) -> None:
    """Import tickets with their history from a JSONL file (exit code 1 if any line failed).

    Bad lines are reported with their number and reason and skipped; the good ones are kept.
    Lines whose ``external_id`` was already imported are skipped, so the file can be sent again
    after fixing it. Tickets are committed as the import goes (every 0.1 s), so the server's
    other writes are not held up.
    """
    from functools import partial
    from itertools import islice

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from atende.db.base import utcnow
    from atende.db.engine import checkpoint
    from atende.tickets.schemas import ImportLineError
    from atende.workflows import importing

    try:
        with file.open("rb") as counting:
            total = sum(1 for _ in counting)
    except OSError as exc:
        fail(f"cannot read {file}: {_one_line(exc)}")
    with _session() as session:
        actor = _import_actor(session, as_email)
    created = skipped = failed = 0
    errors: list[ImportLineError] = []
    progress = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=err)
    with file.open("rb") as source, progress:
        task = progress.add_task("tickets", total=total)
        offset = 0
        while batch := list(islice(source, IMPORT_BATCH)):

            def advance(done: int, offset: int = offset) -> None:
                progress.update(task, completed=offset + done)

            with _session() as session:
                result = importing.import_lines(
                    session, actor=actor, lines=batch, now=utcnow(), on_progress=advance,
                    checkpoint=partial(checkpoint, session),
                )  # fmt: skip
            created, skipped, failed = (
                created + result.created,
                skipped + result.skipped,
                failed + result.failed,
            )
            errors.extend(e.model_copy(update={"line": e.line + offset}) for e in result.errors)
            offset += len(batch)
    err.print(
        f"tickets imported: {created}, already imported (skipped): {skipped}, failed: {failed}"
    )
    for error in errors[:1000]:
        where = f" ({error.field})" if error.field else ""
        err.print(escape(f"  line {error.line}{where}: {error.message}"))
    if failed > min(len(errors), 1000):
        err.print(f"  ... and {failed - min(len(errors), 1000)} more")
    if failed:
        raise typer.Exit(1)
