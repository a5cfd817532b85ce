"""``/admin/mailboxes``: the IMAP mailboxes the worker polls (docs/channels.md), connected,
changed, tested and removed through ``channels.mailboxes`` (the API's ``/api/v1/mailboxes``:
checked by its models, audited; the password stored encrypted and never shown back), and the
inbound items that could not be ingested, each retried through ``channels.pipeline.retry``.

A mailbox has no queue of its own: its mail lands in the triage queue unless a rule routes it
(``ticket.channel`` is ``email``), as the API models it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from atende.api.deps import AppSettings, DbSession, Now
from atende.channels import mailboxes, pipeline
from atende.channels.models import ImapMailbox
from atende.channels.schemas import MailboxIn, MailboxPatch
from atende.domain.errors import DomainError, NotFound
from atende.settings import Settings
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    Missing,
    admin_render,
    back,
    found,
    saved,
)
from atende.web.admin.forms import Errors, PostedForm, form_text, optional_int, submit
from atende.web.deps import WebUser
from atende.web.i18n import _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "mailboxes"
BASE = "/admin/mailboxes"
FIELDS = frozenset({"name", "host", "port", "tls", "username", "password", "folder", "active"})
DEAD_SHOWN = 50


def _list_page(
    request: Request,
    session: Session,
    user: WebUser,
    *,
    check: tuple[int, mailboxes.ConnectionCheck] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    boxes = mailboxes.list_all(session, actor=user.actor)
    dead = pipeline.list_items(
        session, actor=user.actor, state="dead", kind=None, after_id=None, limit=DEAD_SHOWN
    )
    context = {"user": user, "boxes": boxes, "dead": dead, "check": check, "error": error}
    return admin_render(
        request, "admin/mailboxes/list.html", context, section=SECTION, status_code=status_code
    )


@router.get(BASE)
def mailboxes_page(request: Request, session: DbSession, user: AdminUser) -> Response:
    return _list_page(request, session, user)


def _values(box: ImapMailbox | None) -> dict[str, Any]:
    if box is None:
        return {"name": "", "host": "", "port": "993", "tls": True, "username": "",
                "folder": "INBOX", "active": True}  # fmt: skip
    return {
        "name": box.name,
        "host": box.host,
        "port": str(box.port),
        "tls": box.tls,
        "username": box.username,
        "folder": box.folder,
        "active": box.active,
    }


def _form_page(
    request: Request,
    user: WebUser,
    *,
    box: ImapMailbox | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    context = {"user": user, "box": box, "values": values, "errors": errors or {}}
    return admin_render(
        request, "admin/mailboxes/form.html", context, section=SECTION, status_code=status_code
    )


def _box(session: Session, user: WebUser, mailbox_id: int) -> ImapMailbox:
    return found(lambda: mailboxes.get(session, actor=user.actor, mailbox_id=mailbox_id))


@router.get(f"{BASE}/new")
def new_mailbox_page(request: Request, user: AdminUser) -> Response:
    return _form_page(request, user, box=None, values=_values(None))


@router.get(BASE + "/{mailbox_id}")
def mailbox_page(
    request: Request, session: DbSession, user: AdminUser, mailbox_id: int
) -> Response:
    box = _box(session, user, mailbox_id)
    return _form_page(request, user, box=box, values=_values(box))


def _typed(data: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the form shows back: never the password, the body for the API's model)."""
    shown: dict[str, Any] = {
        "name": form_text(data, "name", 200),
        "host": form_text(data, "host", 300),
        "port": form_text(data, "port", 20),
        "tls": form_text(data, "tls") == "true",
        "username": form_text(data, "username", 300),
        "folder": form_text(data, "folder", 300),
        "active": form_text(data, "active") == "true",
    }
    body = {**shown, "port": optional_int(shown["port"])}
    password = data.get("password")
    if isinstance(password, str) and password:
        body["password"] = password[:1100]
    return shown, body


@router.post(f"{BASE}/new")
def create_mailbox(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    settings: AppSettings,
    data: PostedForm,
) -> Response:
    return _save(request, session, user, now, settings, data, box=None)


@router.post(BASE + "/{mailbox_id}")
def update_mailbox(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    settings: AppSettings,
    data: PostedForm,
    mailbox_id: int,
) -> Response:
    box = _box(session, user, mailbox_id)
    return _save(request, session, user, now, settings, data, box=box)


def _save(
    request: Request,
    session: Session,
    user: WebUser,
    now: Any,
    settings: Settings,
    data: FormData,
    *,
    box: ImapMailbox | None,
) -> Response:
    """Connect a mailbox, or change one (a password left blank keeps the stored one)."""
    shown, body = _typed(data)
    key = settings.resolved_secret_key
    if box is None:
        done, errors = submit(
            session,
            MailboxIn,
            body,
            lambda values: mailboxes.create(
                session, actor=user.actor, data=values, secret_key=key, now=now
            ),
            fields=FIELDS,
        )
    else:
        done, errors = submit(
            session,
            MailboxPatch,
            body,
            lambda changes: mailboxes.update(
                session, actor=user.actor, mailbox_id=box.id, secret_key=key, now=now,
                changes={k: v for k, v in changes.items() if v is not None},
            ),
            partial=True,
            fields=FIELDS,
        )  # fmt: skip
    if done is not None:
        return saved(BASE, done.id)
    if box is not None:
        session.refresh(box)
    return _form_page(request, user, box=box, values=shown, errors=errors, status_code=422)


@router.post(BASE + "/{mailbox_id}/test")
def check_mailbox(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    settings: AppSettings,
    mailbox_id: int,
) -> Response:
    """Log in and open the folder as the worker would; the list says how it went."""
    box = _box(session, user, mailbox_id)
    result = mailboxes.check_connection(
        session, actor=user.actor, mailbox_id=box.id, secret_key=settings.resolved_secret_key
    )
    return _list_page(request, session, user, check=(box.id, result))


@router.post(BASE + "/{mailbox_id}/delete")
def delete_mailbox(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, mailbox_id: int
) -> Response:
    box = _box(session, user, mailbox_id)
    with session.begin_nested():
        mailboxes.delete(session, actor=user.actor, mailbox_id=box.id, now=now)
    return back(BASE)


@router.post(BASE + "/inbound/{item_id}/retry")
def retry_item(request: Request, session: DbSession, user: CsrfAdminUser, item_id: int) -> Response:
    """A dead inbound item goes back to the queue; the worker ingests it again."""
    try:
        with session.begin_nested():
            pipeline.retry(session, actor=user.actor, item_id=item_id)
    except NotFound:
        raise Missing from None
    except DomainError as exc:  # not dead (any more)
        return _list_page(request, session, user, error=exc.text(_), status_code=409)
    return back(f"{BASE}?retried={item_id}")
