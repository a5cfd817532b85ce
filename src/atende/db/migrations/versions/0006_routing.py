"""Routing: presence, pause reasons, capacity, assignment modes, queue line, absences,
followers, queue waits, on-call flag.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import atende.db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = atende.db.base.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_open_tickets", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_chats", sa.Integer(), nullable=True))

    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "assignment_mode", sa.String(length=20), nullable=False, server_default="manual"
            )
        )
        batch_op.add_column(sa.Column("calendar_id", BigId, nullable=True))
        batch_op.add_column(sa.Column("default_max_open_tickets", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("default_max_chats", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_queues_calendar_id_calendars"),
            "calendars",
            ["calendar_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.alter_column("assignment_mode", server_default=None)

    with op.batch_alter_table("queue_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_assigned_at", When, nullable=True))

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority_class", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("sla_due_at", When, nullable=True))
        batch_op.add_column(sa.Column("queue_entered_at", When, nullable=True))
        batch_op.add_column(
            sa.Column("queue_front", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("on_call", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE tickets SET queue_entered_at = created_at WHERE queue_id IS NOT NULL")
    # existing tickets take their place in the line: priority class (key accounts above every
    # plan rank) and the earliest due instant of their running SLA targets
    op.execute(
        "UPDATE tickets SET priority_class = COALESCE(("
        "SELECT CASE WHEN o.key_account THEN 1001 ELSE COALESCE(p.rank, 0) END "
        "FROM organizations o LEFT JOIN plans p ON p.id = o.plan_id "
        "WHERE o.id = tickets.organization_id), 0)"
    )
    op.execute(
        "UPDATE tickets SET sla_due_at = (SELECT MIN(t.due_at) FROM ticket_sla_targets t "
        "WHERE t.ticket_id = tickets.id AND t.state IN ('running', 'paused'))"
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("priority_class", server_default=None)
        batch_op.alter_column("queue_front", server_default=None)
        batch_op.alter_column("on_call", server_default=None)
        batch_op.create_index(
            "ix_tickets_queue_waiting", ["queue_id", "assignee_id", "status", "priority_class"]
        )
        batch_op.create_index("ix_tickets_on_call_created", ["on_call", "created_at", "id"])

    op.create_table(
        "agent_presence",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.Column("since", When, nullable=False),
        sa.Column("last_seen_at", When, nullable=True),
        _fk("agent_presence", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_presence")),
    )
    op.create_table(
        "presence_log",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.Column("started_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _fk("presence_log", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_log")),
    )
    op.create_index("ix_presence_log_user_started", "presence_log", ["user_id", "started_at"])
    op.create_table(
        "pause_reasons",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pause_reasons")),
        sa.UniqueConstraint("name", name=op.f("uq_pause_reasons_name")),
    )
    op.create_table(
        "absences",
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("substitute_id", BigId, nullable=False),
        sa.Column("starts_at", When, nullable=False),
        sa.Column("ends_at", When, nullable=False),
        sa.Column("return_tickets", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("moved_ticket_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", BigId, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _fk("absences", "user_id", "users", "CASCADE"),
        _fk("absences", "substitute_id", "users", "RESTRICT"),
        _fk("absences", "created_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    op.create_index("ix_absences_state_starts", "absences", ["state", "starts_at"])
    op.create_index("ix_absences_state_ends", "absences", ["state", "ends_at"])
    op.create_index("ix_absences_user", "absences", ["user_id", "starts_at"])
    op.create_table(
        "ticket_followers",
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", When, nullable=False),
        _fk("ticket_followers", "ticket_id", "tickets", "CASCADE"),
        _fk("ticket_followers", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", "user_id", name=op.f("pk_ticket_followers")),
    )
    op.create_index(
        op.f("ix_ticket_followers_user_id"), "ticket_followers", ["user_id"], unique=False
    )
    op.create_table(
        "queue_waits",
        sa.Column("ticket_id", BigId, nullable=False),
        sa.Column("queue_id", BigId, nullable=True),
        sa.Column("assignee_id", BigId, nullable=True),
        sa.Column("entered_at", When, nullable=False),
        sa.Column("assigned_at", When, nullable=False),
        sa.Column("wait_seconds", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _fk("queue_waits", "ticket_id", "tickets", "CASCADE"),
        _fk("queue_waits", "queue_id", "queues", "SET NULL"),
        _fk("queue_waits", "assignee_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_waits")),
    )
    op.create_index(op.f("ix_queue_waits_ticket_id"), "queue_waits", ["ticket_id"], unique=False)
    op.create_index("ix_queue_waits_queue_assigned", "queue_waits", ["queue_id", "assigned_at"])
    # tickets resolved before auto-close existed get their instant from the worker (it needs
    # each ticket's business calendar): a job, written with the schema change
    jobs = sa.table(
        "jobs",
        sa.column("kind", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("idempotency_key", sa.String()),
        sa.column("state", sa.String()),
        sa.column("attempts", sa.Integer()),
        sa.column("run_at", When),
        sa.column("last_error", sa.Text()),
        sa.column("created_at", When),
    )
    now = datetime.now(UTC).replace(microsecond=0)
    op.bulk_insert(
        jobs,
        [
            {
                "kind": "tickets.schedule_auto_close",
                "payload": {"after_id": 0},
                "idempotency_key": "migration-0006:schedule-auto-close",
                "state": "queued",
                "attempts": 0,
                "run_at": now,
                "last_error": "",
                "created_at": now,
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE idempotency_key = 'migration-0006:schedule-auto-close'")
    op.drop_table("queue_waits")
    op.drop_table("ticket_followers")
    op.drop_table("absences")
    op.drop_table("pause_reasons")
    op.drop_table("presence_log")
    op.drop_table("agent_presence")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_on_call_created")
        batch_op.drop_index("ix_tickets_queue_waiting")
        for column in (
            "on_call",
            "queue_front",
            "queue_entered_at",
            "sla_due_at",
            "priority_class",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("queue_members", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_queues_calendar_id_calendars"), type_="foreignkey")
        for column in (
            "default_max_chats",
            "default_max_open_tickets",
            "calendar_id",
            "assignment_mode",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("max_chats")
        batch_op.drop_column("max_open_tickets")
