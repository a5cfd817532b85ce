"""Which ticket an inbound e-mail belongs to, in this order (docs/channels.md):

1. our own Message-ID (``<atende.t<ticket>.m<message>.<random>@host>``) in In-Reply-To or
   References;
2. any stored Message-ID, inbound or outbound; a match on a customer's Message-ID (not one of
   ours) also needs the same contact or organization, so a newsletter's replies never merge;
3. the ``[#1042]`` tag in the subject, for the ticket's requester or organization;
4. else None: a new ticket.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from atende.channels import repository
from atende.channels.email_parse import ParsedEmail
from atende.customers.models import Contact
from atende.domain import mail
from atende.tickets.models import Ticket

OWN_ID = re.compile(r"^<atende\.t(\d{1,18})\.m\d{1,18}\.[0-9a-f]{6,32}@[^<>]+>$")


def find_ticket(session: Session, parsed: ParsedEmail, contact: Contact) -> Ticket | None:
    ids = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))
    for header_id in ids:
        own = OWN_ID.match(header_id)
        if own is not None:
            found = repository.ticket(session, int(own.group(1)), for_update=True)
            if found is not None:
                return found
    for record in repository.records_by_header_ids(session, ids):
        assert record.ticket_id is not None
        found = repository.ticket(session, record.ticket_id, for_update=True)
        if found is None:
            continue
        if record.direction == "out" or _same_party(found, contact):
            return found
    number = mail.ticket_tag(parsed.subject)
    if number is not None:
        found = repository.ticket(session, number, for_update=True)
        if found is not None and _same_party(found, contact):
            return found
    return None


def _same_party(ticket: Ticket, contact: Contact) -> bool:
    if ticket.requester_id == contact.id:
        return True
    return contact.organization_id is not None and ticket.organization_id == contact.organization_id
