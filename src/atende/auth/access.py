"""Role guards every area shares: who may do a kind of thing at all (before any id is looked at).

A guard refuses with 403 (``PermissionDenied``) when the actor's role may never use the use case;
access to one record goes through each area's ``readable_*`` / ``get_readable`` functions, where
an id the actor may not see answers 404 exactly like a missing one.
"""

from __future__ import annotations

from atende.auth.actor import Actor
from atende.domain.errors import PermissionDenied


def ensure_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may do this")


def ensure_supervisor(actor: Actor) -> None:
    if actor.role not in ("admin", "supervisor", "system"):
        raise PermissionDenied("only a supervisor or an admin may do this")


def ensure_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("only staff may do this")
