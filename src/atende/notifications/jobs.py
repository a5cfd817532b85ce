"""The e-mail copy of a staff notification."""

from __future__ import annotations

from typing import Any

from atende.i18n import notice
from atende.jobs import registry
from atende.jobs.registry import JobContext, handler
from atende.notifications import repository


@handler("notifications.email")
def email_copy(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send the notification to its user by e-mail; without SMTP configured the in-app
    notification is the whole delivery (the job completes)."""
    if not ctx.settings.smtp_host:
        return
    with ctx.transaction() as session:
        note = repository.get(session, int(payload["notification_id"]))
        if note is None:
            return  # the ticket (and its notifications) was deleted meanwhile
        user = repository.user(session, note.user_id)
        if user is None or not user.active:
            return
        message = {
            "to": [user.email],
            "subject": f"[Atende] {note.text[:120]}",
            "text": _body(ctx, note.text, note.ticket_id, user.locale),
        }
    send = registry.get("notify.email")
    if send is None:  # pragma: no cover - the notify package registers it
        raise RuntimeError("no e-mail delivery handler is registered")
    send(ctx, message)


def _body(ctx: JobContext, said: str, ticket_id: int | None, locale: str) -> str:
    lines = [said, ""]
    if ticket_id is not None:
        url = f"{ctx.settings.base_url.rstrip('/')}/tickets/{ticket_id}"
        lines.append(notice("Open the ticket: {url}", url=url).render(locale))
    lines += ["", notice("Atende: a notification of your support team.").render(locale)]
    return "\n".join(lines)
