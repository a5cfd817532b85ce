"""Saved views of the ticket list (the console's inbox): a name for a set of its parameters.

Each person keeps their own (at most `MAX_PER_USER`); a supervisor or admin may share one with
the whole team (shared views are listed to every member of the staff and are on the audit
trail). The parameters are the inbox's own and are checked by the inbox when the view is
opened, as if typed in the address bar: a saved view never reaches a ticket its reader may not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from atende.agents.models import SavedView
from atende.audit import record as audit
from atende.auth.access import ensure_staff
from atende.auth.actor import Actor
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

MAX_PER_USER = 50
MAX_NAME = 80
MAX_QUERY = 2000


def visible(session: Session, actor: Actor) -> Sequence[SavedView]:
    """The caller's own views and the team's shared ones, by name."""
    ensure_staff(actor)
    stmt = (
        select(SavedView)
        .where(or_(SavedView.user_id == actor.user_id, SavedView.shared.is_(True)))
        .order_by(func.lower(SavedView.name), SavedView.id)
    )
    return session.scalars(stmt).all()


def save(
    session: Session, *, actor: Actor, name: str, query: str, shared: bool, now: datetime
) -> SavedView:
    """Save ``query`` (the inbox's parameters, already checked by it) as ``name``."""
    ensure_staff(actor)
    assert actor.user_id is not None
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("give the view a name", field="name")
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            "a view's name has at most {limit} characters", field="name", limit=MAX_NAME
        )
    if len(query) > MAX_QUERY:
        raise ValidationFailed("this view has too many filters to save", field="query")
    if shared and not actor.sees_all_tickets:
        raise PermissionDenied("only supervisors and admins share views with the team")
    mine = session.scalars(select(SavedView).where(SavedView.user_id == actor.user_id)).all()
    if any(v.name.casefold() == name.casefold() for v in mine):
        raise Conflict("you already have a view named {name}", field="name", name=name)
    if len(mine) >= MAX_PER_USER:
        raise ValidationFailed(
            "you have {limit} saved views: delete one first", field="name", limit=MAX_PER_USER
        )
    view = SavedView(user_id=actor.user_id, name=name, query=query, shared=shared, created_at=now)
    session.add(view)
    session.flush()
    if shared:
        audit.created(session, actor, view, at=now)
    return view


def delete(session: Session, *, actor: Actor, view_id: int, now: datetime) -> None:
    """Delete one of the caller's views (an admin may delete any shared view)."""
    ensure_staff(actor)
    view = session.get(SavedView, view_id)
    if view is None or not (view.user_id == actor.user_id or (view.shared and actor.is_admin)):
        raise NotFound("saved view {id} not found", id=view_id)
    if view.shared:
        audit.record(
            session, actor=actor, action="deleted", entity=view,
            before=audit.snapshot(view), after=None, at=now,
        )  # fmt: skip
    session.delete(view)
