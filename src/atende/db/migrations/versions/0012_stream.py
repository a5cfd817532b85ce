"""The stream: events written with each change, webhook subscriptions, consumers' cursors.

``stream_events.position`` is the event's place in the stream, in commit order (decision 0013):

* PostgreSQL: a deferred constraint trigger runs at commit, takes a transaction-level advisory
  lock (held until the commit has ended and is visible), numbers the transaction's events from
  ``stream_events_position_seq`` and sends ``NOTIFY atende_stream, '<position>'``. A reader
  that sees position N therefore sees every committed position below N: no event can appear
  later behind it.
* SQLite: one writer at a time, so ids are given in commit order already; a trigger copies the
  id into ``position``.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)

# The advisory lock's key is "stream" in ASCII as a bigint (0x73747265616D); the channel is
# the one stream/hub.py listens on.
POSTGRES_STAMP = """
CREATE FUNCTION stream_events_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stamped bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(126943972647277);
    UPDATE stream_events SET position = nextval('stream_events_position_seq')
        WHERE id = NEW.id RETURNING position INTO stamped;
    IF stamped IS NOT NULL THEN
        PERFORM pg_notify('atende_stream', stamped::text);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "stream_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("queue_id", sa.BigInteger(), nullable=True),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("timeline_position", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_events")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_stream_events_position", "stream_events", ["position"], unique=True)
    op.create_index("ix_stream_events_ticket", "stream_events", ["ticket_id", "timeline_position"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("since_position", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_webhook_subscriptions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    cursors = op.create_table(
        "stream_cursors",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stream_cursors")),
    )
    op.bulk_insert(
        cursors, [{"name": "webhooks", "position": 0}, {"name": "pruned", "position": 0}]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE stream_events_position_seq")
        op.execute(POSTGRES_STAMP)
        op.execute(
            "CREATE CONSTRAINT TRIGGER stream_events_stamp AFTER INSERT ON stream_events "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION stream_events_stamp()"
        )
    else:
        op.execute(
            "CREATE TRIGGER stream_events_position AFTER INSERT ON stream_events BEGIN "
            "UPDATE stream_events SET position = new.id WHERE id = new.id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS stream_events_stamp ON stream_events")
        op.execute("DROP FUNCTION IF EXISTS stream_events_stamp()")
        op.execute("DROP SEQUENCE IF EXISTS stream_events_position_seq")
    else:
        op.execute("DROP TRIGGER IF EXISTS stream_events_position")
    op.drop_table("stream_cursors")
    op.drop_table("webhook_subscriptions")
    op.drop_index("ix_stream_events_ticket", table_name="stream_events")
    op.drop_index("ix_stream_events_position", table_name="stream_events")
    op.drop_table("stream_events")
