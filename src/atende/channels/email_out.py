"""E-mail out: an agent's public reply on an ``email`` ticket leaves through the outbox.

The settle loop calls :func:`on_message` (a reactor): it writes an ``email_records`` row
(``queued``) and enqueues a ``channels.email_out`` job in the change's transaction. The job
stores our Message-ID in its own transaction before the first send and reuses it on every
retry; it threads the reply (In-Reply-To: the customer's last e-mail; References: theirs plus
that id), tags the subject with ``[#id]``, and records the delivery state (``sent``, or
``failed`` with the reason in Portuguese). Agents' replies are human mail: no
``Auto-Submitted``; automatic mail we send carries ``Auto-Submitted: auto-replied``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from atende.channels import repository
from atende.channels.models import EmailRecord
from atende.db.base import utcnow
from atende.domain import mail
from atende.jobs import outbox
from atende.jobs.registry import JobContext, PermanentFailure, handler
from atende.notify import email as smtp
from atende.settings import Settings
from atende.tickets.models import Message, Ticket

KIND = "channels.email_out"
MAX_REFERENCES = 20
STATE_LABELS = {
    "queued": "na fila",
    "sent": "enviado",
    "failed": "falhou",
    "received": "recebido",
    "automatic": "automático (ignorado)",
    "limited": "limite de envios do remetente (ignorado)",
}
FOOTER = (
    "\n\n--\n"
    "Responda a este e-mail para continuar o atendimento do chamado #{number}.\n"
    "Por favor, mantenha o número [#{number}] no assunto."
)

log = logging.getLogger(__name__)


def on_message(
    session: Session, ticket: Ticket, *, event: str | None, message: Message | None, now: datetime
) -> None:
    """Settle reactor: queue the e-mail of an agent's public reply on an e-mail ticket."""
    if event != "message_sent" or message is None or ticket.channel != "email":
        return
    if not message.public or message.author_kind != "agent":
        return
    queue(session, ticket, message, now=now)


def queue(session: Session, ticket: Ticket, message: Message, *, now: datetime) -> None:
    """The message's e-mail (``queued``) and its job, in the caller's transaction."""
    record = repository.add_record(
        session,
        EmailRecord(
            direction="out", header_id="", ticket_id=ticket.id, message_id=message.id,
            contact_id=ticket.requester_id, state="queued", created_at=now,
        ),
    )  # fmt: skip
    outbox.enqueue(
        session, KIND, idempotency_key=f"email-out:{message.id}", record_id=record.id,
        ticket_id=ticket.id,
    )  # fmt: skip


def mail_domain(settings: Settings) -> str:
    host = (urlsplit(settings.base_url).hostname or "").strip(".").lower()
    if not host or not all(part and part.replace("-", "").isalnum() for part in host.split(".")):
        return "atende"
    return host


def new_message_id(ticket_id: int, message_id: int, settings: Settings) -> str:
    return f"<atende.t{ticket_id}.m{message_id}.{secrets.token_hex(8)}@{mail_domain(settings)}>"


@dataclass(frozen=True)
class Outgoing:
    msg: EmailMessage
    sender: str
    recipient: str


def build(
    *,
    settings: Settings,
    header_id: str,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str | None,
    references: list[str],
    automatic: bool = False,
) -> EmailMessage:
    """The e-mail; every header value on one line (a hostile subject never adds a header)."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail.single_line(to)
    msg["Subject"] = mail.single_line(subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = header_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references[-MAX_REFERENCES:])
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    return msg


def _compose(session: Session, record: EmailRecord, settings: Settings) -> Outgoing | str:
    """The reply's e-mail, or why it cannot leave (in Portuguese)."""
    assert record.ticket_id is not None and record.message_id is not None
    ticket = repository.ticket(session, record.ticket_id)
    message = repository.message(session, record.message_id)
    if ticket is None or message is None:
        return "a mensagem ou o chamado foi apagado"
    contact = repository.contact(session, ticket.requester_id) if ticket.requester_id else None
    if contact is None or not contact.email:
        return "o cliente não tem endereço de e-mail"
    state = repository.address(session, contact.email)
    if state is not None and state.bouncing:
        return f"o endereço {contact.email} está marcado como inválido (devolução: {state.reason})"
    last = repository.last_inbound(session, ticket.id)
    references = mail.message_ids(last.references) if last is not None else []
    in_reply_to = None
    if last is not None:
        in_reply_to = last.header_id
        references = [r for r in references if r != last.header_id] + [last.header_id]
    subject = mail.reply_subject(ticket.subject, ticket.number)
    text = message.body_text + FOOTER.format(number=ticket.number)
    msg = build(
        settings=settings, header_id=record.header_id, to=contact.email, subject=subject,
        text=text, in_reply_to=in_reply_to, references=references,
    )  # fmt: skip
    record.sender = parseaddr(settings.mail_from)[1].lower()[:254]
    record.recipients = contact.email
    record.subject = msg["Subject"][:300]
    record.in_reply_to = in_reply_to or ""
    record.references = " ".join(references[-MAX_REFERENCES:])
    return Outgoing(msg, record.sender, contact.email)


def _mark(ctx: JobContext, record_id: int, state: str, reason: str, now: datetime | None) -> None:
    with ctx.transaction() as session:
        found = repository.record(session, record_id, for_update=True)
        if found is not None:
            found.state, found.reason = state, reason[:2000]
            if now is not None:
                found.sent_at = now


@handler(KIND)
def send_reply(ctx: JobContext, payload: dict[str, Any]) -> None:
    settings = ctx.settings
    record_id = int(payload["record_id"])
    with ctx.transaction() as session:
        record = repository.record(session, record_id, for_update=True)
        if record is None or record.state == "sent":
            return
        if not record.header_id:  # stored before the first send, reused on every retry
            assert record.ticket_id is not None and record.message_id is not None
            record.header_id = new_message_id(record.ticket_id, record.message_id, settings)
        outgoing = _compose(session, record, settings)
        if isinstance(outgoing, str):
            record.state, record.reason = "failed", outgoing
            return
        if not settings.smtp_host:
            record.state = "failed"
            record.reason = "o envio de e-mail não está configurado (ATENDE_SMTP_HOST)"
            return
    if "@" not in outgoing.sender:
        _mark(ctx, record_id, "failed", "ATENDE_MAIL_FROM não tem um endereço válido", None)
        return
    try:
        smtp.send_now(settings, outgoing.msg, outgoing.sender, [outgoing.recipient])
    except PermanentFailure as exc:
        _mark(ctx, record_id, "failed", f"o servidor de e-mail recusou a mensagem: {exc}", None)
        raise
    except Exception as exc:
        final = ctx.attempt >= settings.job_max_attempts
        reason = f"falha temporária no envio ({'desistimos' if final else 'nova tentativa'}): {exc}"
        _mark(ctx, record_id, "failed" if final else "queued", reason, None)
        raise
    _mark(ctx, record_id, "sent", "", utcnow())
    log.info("reply %s sent for ticket %s", outgoing.msg["Message-ID"], payload.get("ticket_id"))
