"""``/admin/channels``: WhatsApp numbers and Telegram bots, the WhatsApp templates agents may
send outside the 24-hour window, and what the channels received but could not read (dead
inbound items, with the reason, retried from here) (docs/channels.md).

Writes through ``channels.messaging_config`` as the API does (same validation, the same
configuration audit trail, the Telegram webhook registered the same way). Secrets are never
shown back, not even in a refused form: the form says they must be typed again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from atende.api.deps import AppSettings, DbSession, Now
from atende.api.messages import input_error
from atende.channels import messaging_config, messaging_templates, pipeline
from atende.channels.messaging_schemas import ChannelIn, ChannelPatch
from atende.domain.errors import DomainError, NotFound
from atende.settings import Settings
from atende.web import i18n
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    admin_render,
    error_text,
)
from atende.web.deps import WebUser
from atende.web.i18n import _
from atende.web.pages import page_not_found

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

DEAD_SHOWN = 50
SECRETS = ("access_token", "app_secret", "verify_token", "bot_token")
TEXT_FIELDS = ("kind", "name", "phone_number_id", "templates", "waba_id", "bot_flow_key")
_CHANNEL_IN: TypeAdapter[Any] = TypeAdapter(ChannelIn)


def parse_templates(text: str) -> list[dict[str, str]] | str:
    """One template a line, ``name | language | body``; the reason when a line is not so."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) != 3 or not all(parts):
            return _("Line %(n)s: write name | language | text.") % {"n": number}
        found.append({"name": parts[0], "language": parts[1], "body": parts[2]})
    return found


def templates_text(templates: list[dict[str, Any]]) -> str:
    """The admin's own templates as the form edits them (Meta's are listed, not edited)."""
    return "\n".join(
        f"{t['name']} | {t['language']} | {t['body']}" for t in templates if not t.get("synced")
    )


def _said(exc: ValidationError) -> dict[str, str]:
    """Pydantic's refusals by form field, in the reader's language."""
    locale = i18n.current().locale
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err["loc"] if not str(part).isdigit()]
        field = next((p for p in loc if p in (*TEXT_FIELDS, *SECRETS, "body", "language")), "")
        field = "templates" if field in ("body", "language") else (field or "name")
        errors.setdefault(field, input_error(locale, dict(err)))
    return errors


def _saved(
    session: Session,
    errors: dict[str, str],
    validate: Callable[[], Any],
    save: Callable[[Any], object],
) -> dict[str, str]:
    """The form's errors after checking it as the API would (``validate``) and saving it
    (``save``, in a savepoint: a refused change leaves nothing behind)."""
    if errors:
        return errors
    try:
        parsed = validate()
    except ValidationError as exc:
        return _said(exc)
    try:
        with session.begin_nested():
            save(parsed)
    except DomainError as exc:
        field, text = error_text(exc)
        return {field or "name": text}
    return {}


def _page(
    request: Request,
    session: Session,
    user: WebUser,
    settings: Settings,
    *,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    channels = [
        {**messaging_config.view(c, settings), "templates_text": templates_text(c.templates)}
        for c in messaging_config.list_all(session, actor=user.actor)
    ]
    dead = pipeline.list_items(
        session, actor=user.actor, state="dead", kind=None, after_id=None, limit=DEAD_SHOWN
    )
    names = {c["id"]: c["name"] for c in channels}
    limited = [
        {"channel": names.get(m.channel_id or 0, "—"), "address": m.address,
         "at": m.created_at, "reason": m.reason}
        for m in messaging_config.limited(session, actor=user.actor, limit=DEAD_SHOWN)
    ]  # fmt: skip
    context = {"user": user, "channels": channels, "dead": dead, "limited": limited,
               "flow_keys": messaging_config.flow_keys(session),
               "form": form or {"values": {"kind": "whatsapp"}, "errors": {}}}  # fmt: skip
    return admin_render(
        request, "admin/channels.html", context, section="channels", status_code=status_code
    )


@router.get("/admin/channels")
def channels_page(
    request: Request, session: DbSession, user: AdminUser, settings: AppSettings
) -> Response:
    return _page(request, session, user, settings)


@router.post("/admin/channels")
def create_channel(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    settings: AppSettings,
    now: Now,
    kind: Annotated[str, Form()] = "whatsapp",
    name: Annotated[str, Form()] = "",
    phone_number_id: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
    app_secret: Annotated[str, Form()] = "",
    verify_token: Annotated[str, Form()] = "",
    bot_token: Annotated[str, Form()] = "",
    templates: Annotated[str, Form()] = "",
    waba_id: Annotated[str, Form()] = "",
    bot_flow_key: Annotated[str, Form()] = "",
) -> Response:
    """Connect a WhatsApp number or a Telegram bot (a bot's webhook is registered at once)."""
    values = {"kind": kind[:10], "name": name[:120], "phone_number_id": phone_number_id[:64],
              "templates": templates[:200_000], "waba_id": waba_id[:64],
              "bot_flow_key": bot_flow_key[:80]}  # fmt: skip
    errors: dict[str, str] = {}
    data: dict[str, Any] = {"kind": kind, "name": name.strip(),
                            "bot_flow_key": bot_flow_key.strip()}  # fmt: skip
    if kind == "whatsapp":
        parsed = parse_templates(templates)
        if isinstance(parsed, str):
            errors["templates"] = parsed
        data.update(phone_number_id=phone_number_id.strip(), access_token=access_token.strip(),
                    app_secret=app_secret.strip(), verify_token=verify_token.strip(),
                    templates=parsed if isinstance(parsed, list) else [],
                    waba_id=waba_id.strip())  # fmt: skip
    else:
        data["bot_token"] = bot_token.strip()
    errors = _saved(
        session, errors, lambda: _CHANNEL_IN.validate_python(data),
        lambda body: messaging_config.create(
            session, actor=user.actor, data=body.model_dump(), settings=settings, now=now
        ),
    )  # fmt: skip
    if not errors:
        return RedirectResponse("/admin/channels", status_code=303)
    form = {"values": values, "errors": errors}
    return _page(request, session, user, settings, form=form, status_code=422)


@router.post("/admin/channels/{channel_id}")
def update_channel(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    settings: AppSettings,
    now: Now,
    channel_id: int,
    name: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    templates: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
    bot_token: Annotated[str, Form()] = "",
    waba_id: Annotated[str, Form()] = "",
    bot_flow_key: Annotated[str, Form()] = "",
    delete: Annotated[str, Form()] = "",
) -> Response:
    """Rename, switch on or off, change the templates or a token; or remove the channel."""
    try:
        channel = messaging_config.get(session, actor=user.actor, channel_id=channel_id)
    except NotFound:
        return page_not_found(request)
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"name": name.strip(), "active": active == "1",
                               "bot_flow_key": bot_flow_key.strip()}  # fmt: skip
    if channel.kind == "whatsapp":  # the page's form always sends the whole list
        changes["waba_id"] = waba_id.strip()
        parsed = parse_templates(templates[:200_000])
        if isinstance(parsed, str):
            errors["templates"] = parsed
        else:
            changes["templates"] = parsed
    for key, value in (("access_token", access_token), ("bot_token", bot_token)):
        if value.strip():
            changes[key] = value.strip()

    def save(patch: ChannelPatch) -> None:
        if delete == "1":
            messaging_config.delete(
                session, actor=user.actor, channel_id=channel_id, settings=settings, now=now
            )
        else:
            messaging_config.update(
                session, actor=user.actor, channel_id=channel_id,
                changes=patch.model_dump(exclude_none=True), settings=settings, now=now,
            )  # fmt: skip

    if (channel.bot_flow_key or "") == changes["bot_flow_key"]:
        del changes["bot_flow_key"]  # unchanged: a Telegram bot is not registered again

    errors = _saved(session, errors, lambda: ChannelPatch.model_validate(changes), save)
    if not errors:
        return RedirectResponse("/admin/channels", status_code=303)
    form = {"values": {"kind": "whatsapp"}, "errors": {}, "edit": channel_id,
            "edit_errors": errors, "edit_templates": templates[:200_000]}  # fmt: skip
    return _page(request, session, user, settings, form=form, status_code=422)


@router.post("/admin/channels/{channel_id}/templates/sync")
def sync_templates(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    settings: AppSettings,
    now: Now,
    channel_id: int,
) -> Response:
    """Read the WhatsApp Business Account's templates from Meta now (the channel needs its
    WABA id); Meta's refusal is shown on the channel, in Portuguese."""
    try:
        with session.begin_nested():
            messaging_templates.sync(
                session, actor=user.actor, channel_id=channel_id, settings=settings, now=now
            )
    except NotFound:
        return page_not_found(request)
    except DomainError as exc:
        field, text = error_text(exc)
        form = {"values": {"kind": "whatsapp"}, "errors": {}, "edit": channel_id,
                "edit_errors": {field or "templates": text}}  # fmt: skip
        return _page(request, session, user, settings, form=form, status_code=422)
    return RedirectResponse(f"/admin/channels#channel-{channel_id}", status_code=303)


@router.post("/admin/channels/inbound/{item_id}/retry")
def retry_item(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    settings: AppSettings,
    item_id: int,
) -> Response:
    """A dead item (e-mail, WhatsApp, Telegram) goes back to the queue: the worker ingests it
    again (after the cause, a parser bug or a channel's setting, was fixed)."""
    try:
        with session.begin_nested():
            pipeline.retry(session, actor=user.actor, item_id=item_id)
    except NotFound:
        return page_not_found(request)
    except DomainError:
        pass  # not dead any more (retried meanwhile): the page shows it gone
    return RedirectResponse("/admin/channels#dead", status_code=303)
