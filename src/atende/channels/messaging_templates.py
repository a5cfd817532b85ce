"""WhatsApp message templates: typed by an admin, or read from Meta (``sync``: the WhatsApp
Business Account's templates with their status, category and body), and which of them agents
may send outside the 24-hour window.

A channel's ``templates`` list holds both: an admin's own (``synced`` false; replaced
whenever the admin sets the list) and Meta's (``synced`` true; only ``sync`` changes them).
A template Meta no longer lists is kept, marked ``gone``: messages sent with it keep their
meaning, and it is no longer offered. Only approved ``pt_BR`` templates whose parameters are
numbered (``{{1}}``…), still at Meta, are offered (an admin's own count as approved).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth.actor import Actor
from atende.channels import messaging_config, secrets, whatsapp_api
from atende.channels.models import MessagingChannel
from atende.domain import messaging
from atende.domain.errors import ValidationFailed
from atende.settings import Settings

OFFERED_LANGUAGE = "pt_BR"


def parameters(template: dict[str, Any]) -> int | None:
    """How many parameters the template's body takes (None: not numbered 1 to n, such as
    Meta's named parameters: it cannot be sent from here)."""
    try:
        return messaging.template_parameters(str(template.get("body", "")))
    except ValueError:
        return None


def offered(channel: MessagingChannel) -> list[dict[str, Any]]:
    """The templates an agent may send (outside the window too), with their parameters."""
    found = []
    for t in channel.templates:
        count = parameters(t)
        if (
            count is not None
            and str(t.get("status", "APPROVED")) == "APPROVED"
            and not t.get("gone")
            and t.get("language") == OFFERED_LANGUAGE
        ):
            found.append({**t, "parameters": count})
    return found


def sync(
    session: Session, *, actor: Actor, channel_id: int, settings: Settings, now: datetime
) -> MessagingChannel:
    """Read the account's templates from Meta (every page) and keep them: new ones added, known
    ones updated, those Meta no longer lists marked ``gone``. Meta is called before anything is
    written; a refusal is said in Portuguese (422) and changes nothing."""
    channel = messaging_config.get(session, actor=actor, channel_id=channel_id)
    if channel.kind != "whatsapp":
        raise ValidationFailed("only a WhatsApp channel has templates", field="channel_id")
    if not channel.waba_id:
        raise ValidationFailed(
            "set the channel's WhatsApp Business Account id (waba_id) first", field="waba_id"
        )
    try:
        token = secrets.decrypt(settings.resolved_secret_key, channel.access_token_encrypted)
    except ValueError:
        raise ValidationFailed(
            "the channel's access token cannot be read: set it again", field="access_token"
        ) from None
    listed = whatsapp_api.message_templates(settings, waba_id=channel.waba_id, token=token)
    if listed.reason:
        raise ValidationFailed(
            "Meta did not give the templates: {reason}", field="waba_id", reason=listed.reason
        )
    before = audit.snapshot(channel)
    channel.templates = merged(channel.templates, listed.templates, now=now)
    channel.templates_synced_at = now
    channel.updated_at = now
    session.flush()
    audit.updated(session, actor, channel, before, at=now)
    return channel


def merged(
    kept: list[dict[str, Any]], fetched: list[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    """The channel's list after a sync: the admin's own templates that Meta does not list under
    the same name and language, then Meta's (updated, new, or gone since)."""
    at_meta = {(t["name"], t["language"]): t for t in fetched}
    mine = [t for t in kept if not t.get("synced") and (t.get("name"), t.get("language"))
            not in at_meta]  # fmt: skip
    out = [{**t, "synced": False} for t in mine]
    seen = set()
    for t in kept:
        key = (t.get("name"), t.get("language"))
        if not t.get("synced") or key in seen:
            continue
        seen.add(key)
        if key in at_meta:
            out.append({**at_meta[key], "synced": True, "gone": False})
        else:
            out.append({**t, "gone": True, "gone_at": t.get("gone_at") or now.isoformat()})
    for key, t in at_meta.items():
        if key not in seen:
            out.append({**t, "synced": True, "gone": False})
    return out
