"""What the agent must know when a chat reaches the team (seed 004): a delinquent customer's
situation and what to do about it, said once as an internal note at the hand-off and shown on
the chat's panel in the console.

- System blocked (the unpaid due date + 7 days has passed): tell the customer, and transfer to
  Financeiro at once.
- Overdue but not blocked yet: give the technical answer first, then transfer to Financeiro.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.customers.models import Contact, Organization
from atende.domain import billing
from atende.i18n import SITE_LOCALE, Text, notice
from atende.tickets.models import Ticket


@dataclass(frozen=True)
class Guidance:
    blocked: bool
    overdue_since: date
    block_date: date

    def text(self) -> Text:
        if self.blocked:
            return notice(
                "Delinquent customer with the system blocked since {block_date}: tell the "
                "customer and transfer the chat to Financeiro at once.",
                block_date=self.block_date.strftime("%d/%m/%Y"),
            )
        return notice(
            "Delinquent customer (overdue since {overdue_since}), system not blocked yet "
            "(blocks on {block_date}): give the technical answer first, then transfer to "
            "Financeiro.",
            overdue_since=self.overdue_since.strftime("%d/%m/%Y"),
            block_date=self.block_date.strftime("%d/%m/%Y"),
        )

    def note(self) -> str:
        """The internal note written at the hand-off (the team's language)."""
        return self.text().render(SITE_LOCALE)


def organization_of(session: Session, ticket: Ticket) -> Organization | None:
    if ticket.organization_id is not None:
        return session.get(Organization, ticket.organization_id)
    if ticket.requester_id is None:
        return None
    return session.scalar(
        select(Organization)
        .join(Contact, Contact.organization_id == Organization.id)
        .where(Contact.id == ticket.requester_id)
    )


def for_ticket(session: Session, ticket: Ticket, *, today: date) -> Guidance | None:
    """The guidance for a chat of ``ticket``'s customer today, or None when they pay on time."""
    org = organization_of(session, ticket)
    if org is None or not org.delinquent or org.overdue_since is None:
        return None
    return Guidance(
        blocked=billing.system_blocked(
            delinquent=True, overdue_since=org.overdue_since, today=today
        ),
        overdue_since=org.overdue_since,
        block_date=billing.blocked_from(org.overdue_since),
    )
