"""The schema built by the migrations is the schema the models describe, on both databases,
and the migrations go from empty to head and back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from atende.db.migrate import downgrade, include_object, upgrade
from atende.db.models import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_every_model_table_exists_after_upgrade(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrations_go_down_to_empty_and_up_again(database_url: str, tmp_path: object) -> None:
    from atende.db.engine import make_engine

    # A fresh database of the same kind, so that the shared test schema stays untouched.
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/updown.db"  # type: ignore[str-bytes-safe]
        eng = make_engine(url)
        scratch = None
    else:
        import psycopg

        server, name = database_url.rsplit("/", 1)
        scratch = f"{name}_updown"
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            conn.execute(f'CREATE DATABASE "{scratch}"')
        eng = make_engine(f"{server}/{scratch}")
    try:
        upgrade(eng)
        downgrade(eng, "base")
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        upgrade(eng)
        assert set(Base.metadata.tables) <= set(inspect(eng).get_table_names())
    finally:
        eng.dispose()
        if scratch is not None:  # one per xdist worker: none is left behind
            with psycopg.connect(server + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_the_upgrade_queues_the_auto_close_backfill(database_url: str, tmp_path: object) -> None:
    from atende.db.engine import make_engine

    if not database_url.startswith("sqlite"):
        import pytest

        pytest.skip("a scratch SQLite file suffices: the up/down test covers PostgreSQL")
    eng = make_engine(f"sqlite:///{tmp_path}/backfill.db")  # type: ignore[str-bytes-safe]
    try:
        upgrade(eng)
        with eng.connect() as conn:
            from sqlalchemy import text

            kinds = conn.execute(text("SELECT kind, state FROM jobs")).all()
        assert [tuple(k) for k in kinds] == [("tickets.schedule_auto_close", "queued")]
    finally:
        eng.dispose()


def test_the_upgrade_lowers_contacts_e_mails(server_url: str) -> None:
    """0009: e-mails written in another case (by another program) are lowered, so the lookup by
    e-mail (an equality on the unique index) finds them; one whose lower form is taken stays."""
    from sqlalchemy import text

    from atende.customers import repository as customer_repository
    from atende.db.engine import make_engine, make_sessionmaker

    eng = make_engine(server_url)
    try:
        upgrade(eng, "0008")
        with eng.begin() as conn:
            for name, email in [("Ana", "Ana.Souza@Loja.COM.BR"), ("Bia", "BIA@padaria.com.br"),
                                ("Bia 2", "bia@padaria.com.br"), ("Caio", None),
                                ("Élo", "ÉLO@Ótica.com.br")]:  # fmt: skip
                conn.execute(
                    text("INSERT INTO contacts (name, email, role, created_at) "
                         "VALUES (:name, :email, 'user', CURRENT_TIMESTAMP)"),
                    {"name": name, "email": email},
                )  # fmt: skip
        upgrade(eng)
        with eng.connect() as conn:
            emails = dict(conn.execute(text("SELECT name, email FROM contacts")).all())
        assert emails == {
            "Ana": "ana.souza@loja.com.br",
            "Bia": "BIA@padaria.com.br",  # bia@ is taken: left as it was
            "Bia 2": "bia@padaria.com.br",
            "Caio": None,
            "Élo": "élo@ótica.com.br",
        }
        with make_sessionmaker(eng)() as session:
            found = customer_repository.contact_by_email(session, "ANA.SOUZA@loja.com.br")
            assert found is not None and found.name == "Ana"
    finally:
        eng.dispose()
