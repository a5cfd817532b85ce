from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from atende.db.base import Base, BigId, IdMixin, UTCDateTime, utcnow


class Plan(IdMixin, Base):
    """A commercial plan (Prime, Plus, ...): data, not an enum."""

    __tablename__ = "plans"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    rank: Mapped[int] = mapped_column(Integer, default=0)
    includes_field_desk: Mapped[bool] = mapped_column(Boolean, default=False)
    # a Field Desk visit the plan does not include is paid, with this discount (seed 002: 38)
    field_desk_discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Organization(IdMixin, Base):
    """The customer company."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200), index=True)
    document: Mapped[str | None] = mapped_column(String(14), unique=True)  # CNPJ or CPF, digits
    plan_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("plans.id", ondelete="RESTRICT"))
    key_account: Mapped[bool] = mapped_column(Boolean, default=False)
    stores: Mapped[int] = mapped_column(Integer, default=0)
    account_manager_id: Mapped[int | None] = mapped_column(
        BigId,
        ForeignKey(
            "users.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_organizations_account_manager_id_users",
        ),
    )
    billing_due_day: Mapped[int | None] = mapped_column(Integer)
    delinquent: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_since: Mapped[date | None] = mapped_column(Date)  # earliest unpaid due date
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contact(IdMixin, Base):
    """A person at a customer (or a non-customer: organization is optional)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("email", name="uq_contacts_email"),
        Index("ix_contacts_phone", "phone"),
    )

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20), default="user")
    organization_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("email")
    def _lower_email(self, _key: str, value: str | None) -> str | None:
        """E-mails are kept in lower case, so a lookup whatever the case given is an equality
        on the unique index (customers.repository.contact_by_email)."""
        return value.lower() if value is not None else None
