"""Run Alembic from code, so that ``atende migrate`` needs no alembic.ini in the working dir."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Indexes that only the migrations know: PostgreSQL's trigram indexes for text search
# (migration 0008) have no counterpart in the models, which describe both databases.
DATABASE_ONLY_INDEXES = frozenset({"ix_tickets_subject_trgm", "ix_messages_body_trgm"})
# SQLite's full-text indexes for the same search (migration 0010), their shadow tables and
# their watermark.
DATABASE_ONLY_TABLE_PREFIXES = ("tickets_text", "messages_text", "text_index_state")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, other: object
) -> bool:
    """Alembic's filter for comparing the database with the models."""
    if type_ == "table" and reflected and (name or "").startswith(DATABASE_ONLY_TABLE_PREFIXES):
        return False
    return not (type_ == "index" and reflected and name in DATABASE_ONLY_INDEXES)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
