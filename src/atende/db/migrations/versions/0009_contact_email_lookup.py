"""Contacts' e-mails in lower case, so a requester is found by e-mail through the unique index.

A ticket's ``requester`` (the API, imports) is found by e-mail whatever its case. The lookup
was ``lower(email) = lower(:given)``, which the unique index on ``email`` cannot answer: every
lookup read the whole contacts table (1.3 ms at 6,500 contacts on PostgreSQL, growing with the
table). Every write path already stored e-mails in lower case, and the model now lowers them on
assignment. So the lookup becomes an equality, and this migration lowers any e-mail written
otherwise (by hand, or by another program). An e-mail whose lower-case form another contact
already has is left as it is. Lower case is Python's ``str.lower`` (the same on both databases,
as the lookups use it): SQLite's ``lower`` folds ASCII only, and PostgreSQL's depends on the
database's locale.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None

_CONTACTS = sa.table("contacts", sa.column("id", sa.BigInteger), sa.column("email", sa.String))


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(  # by id: of two e-mails differing in case only, the oldest is lowered
        sa.select(_CONTACTS.c.id, _CONTACTS.c.email)
        .where(_CONTACTS.c.email.isnot(None))
        .order_by(_CONTACTS.c.id)
    )
    taken = set()
    mixed = []
    for contact_id, email in rows:
        if email == email.lower():
            taken.add(email)
        else:
            mixed.append((contact_id, email.lower()))
    for contact_id, lowered in mixed:
        if lowered in taken:
            continue  # another contact has it: both stay as they are
        taken.add(lowered)
        bind.execute(sa.update(_CONTACTS).where(_CONTACTS.c.id == contact_id).values(email=lowered))


def downgrade() -> None:
    """Nothing to undo: lower-case e-mails are valid at every earlier revision."""
