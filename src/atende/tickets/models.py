from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow
from atende.domain.lifecycle import STATUSES as STATUSES  # re-exported: the tickets' statuses

# the partial index of the open work (the console's views: web/repository.unresolved_condition)
UNRESOLVED_SQL = "status IN ('new', 'open', 'pending_customer', 'pending_internal', 'scheduled')"

PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api")


class TicketType(IdMixin, Base):
    """A configurable ticket type (question, incident, request, cancellation, ...)."""

    __tablename__ = "ticket_types"

    name: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(IdMixin, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_status_created", "status", "created_at", "id"),
        Index("ix_tickets_queue_created", "queue_id", "created_at", "id"),
        # the usual work views: "open tickets of my queue", "my open tickets"
        Index("ix_tickets_queue_status_created", "queue_id", "status", "created_at", "id"),
        Index("ix_tickets_assignee_status_created", "assignee_id", "status", "created_at", "id"),
        Index("ix_tickets_assignee_created", "assignee_id", "created_at", "id"),
        Index("ix_tickets_org_created", "organization_id", "created_at", "id"),
        Index("ix_tickets_requester_created", "requester_id", "created_at", "id"),
        Index("ix_tickets_channel_created", "channel", "created_at", "id"),
        Index("ix_tickets_priority_created", "priority", "created_at", "id"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_next_sla_deadline", "next_sla_deadline"),
        Index("ix_tickets_auto_close_at", "auto_close_at"),
        Index("ix_tickets_status_changed", "status", "status_changed_at", "id"),
        # the waiting line of a queue (unassigned, in routing order)
        Index("ix_tickets_queue_waiting", "queue_id", "assignee_id", "status", "priority_class"),
        Index("ix_tickets_on_call_created", "on_call", "created_at", "id"),
        # the inbox's default order: the nearest SLA due first (migration 0032)
        # (partial: the tickets without a clock are read by number, never through this index)
        Index(
            "ix_tickets_sla_due",
            "sla_due_at",
            "id",
            postgresql_where=text("sla_due_at IS NOT NULL"),
            sqlite_where=text("sla_due_at IS NOT NULL"),
        ),
        # the open work (the console's views), a small recent part of the table (migration 0032);
        # with the columns of readability and of the SLA order, read without the table
        Index(
            "ix_tickets_unresolved",
            "id",
            "queue_id",
            "assignee_id",
            "sla_due_at",
            postgresql_where=text(UNRESOLVED_SQL),
            sqlite_where=text(UNRESOLVED_SQL),
        ),
    )

    subject: Mapped[str] = mapped_column(String(300))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    type: Mapped[str | None] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10), default="api")
    requester_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="RESTRICT")
    )
    organization_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    queue_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("queues.id", ondelete="RESTRICT")
    )
    assignee_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chat_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_contact_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    split_from_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id"))
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id"))
    follow_up_of_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id"))
    next_sla_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when a resolved ticket closes itself if the contact stays silent (autoclose/service.py)
    auto_close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the ticket entered its current status (time-based rules: "pending for 3 days")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # routing: the line of a queue is ordered by (queue_front, priority_class desc, sla_due_at,
    # created_at); queue_entered_at starts the wait measured when the ticket is assigned
    priority_class: Mapped[int] = mapped_column(Integer, default=0)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queue_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queue_front: Mapped[bool] = mapped_column(Boolean, default=False)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    # the supervisors' weekly review of an on-call ticket: when and by whom (no foreign key:
    # the reviewer's id stays after the user is deleted, as in the audit trail)
    on_call_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_call_reviewed_by_id: Mapped[int | None] = mapped_column(BigId)
    timeline_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def number(self) -> int:
        """The human number shown as ``#1042``: the ticket's sequential id."""
        return self.id


class TicketTag(Base):
    __tablename__ = "ticket_tags"
    # A tag's list is read from this index in the tickets' own order (created_at, id), so a rare
    # tag costs what a common one does (docs/performance.md, finding 3).
    __table_args__ = (Index("ix_ticket_tags_tag_created", "tag", "created_at", "ticket_id"),)

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # a copy of the ticket's


class Message(IdMixin, Base):
    """A public reply or an internal note, from an agent, a contact or the system."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("ticket_id", "position", name="uq_messages_ticket_position"),
        Index("ix_messages_reply_warned_created", "reply_warned", "created_at"),
    )

    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    author_kind: Mapped[str] = mapped_column(String(10))  # agent | contact | system
    author_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    author_contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a public reply an agent sent: the reply check's findings on its body_text
    # (``{"findings": [...]}``; findings there mean it was sent despite the warnings); None for
    # notes, contacts' messages and imported history (docs/reply-check.md)
    reply_check: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the same reply: sent with findings (True) or clean (False); None for every other message.
    # Indexed with created_at for the report of replies sent despite the warnings.
    reply_warned: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    # Only for writing a new ticket and its first entries in one flush; never read (raises).
    ticket: Mapped[Ticket] = relationship(lazy="raise")


class TicketEvent(IdMixin, Base):
    """A change to a ticket: who, what, when, before and after."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("ticket_id", "position", name="uq_ticket_events_position"),)

    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Only for writing a new ticket and its first entries in one flush; never read (raises).
    ticket: Mapped[Ticket] = relationship(lazy="raise")


class TicketFollower(Base):
    """Someone who follows a ticket to its resolution (e.g. the agent who transferred it)."""

    __tablename__ = "ticket_followers"

    ticket_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
