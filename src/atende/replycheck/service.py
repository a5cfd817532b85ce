"""The reply check's use cases: check a draft, check a reply as it is sent, read and replace
the lists (admins; each replacement recorded with who, when, before and after).

The lists are read once per process and version (`atende.db.cache`, decision 0006): an
admin's edit bumps the version in its transaction, so every process checks the next reply with
the new lists, and the compiled `Checker` is shared by the process's threads meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.auth.access import ensure_admin, ensure_staff
from atende.auth.actor import Actor
from atende.db import cache as db_cache
from atende.domain.errors import NotFound
from atende.domain.replycheck import (
    DEFAULT_LISTS,
    LIST_NAMES,
    Checker,
    Finding,
    ListName,
    Lists,
    Phrase,
    validate_items,
)
from atende.replycheck import repository
from atende.replycheck.models import ReplyCheckList, ReplyCheckListChange

_CACHE_KEY: Final = ("reply_check", "checker")

DESCRIPTIONS: Final[dict[str, str]] = {
    "promises": "Promessas de prazo ou garantias firmes; cada uma com a sugestão mostrada ao "
    "agente. {n} vale um número (2, duas, 24).",
    "deadlines": "Prazos que, ditos em nome de outro setor, viram promessa (“o financeiro vai "
    "liberar hoje”).",
    "departments": "Outros setores, por cujo prazo o agente não deve se comprometer.",
    "closing_questions": "Perguntas que fecham uma resposta pública (“Ficou alguma dúvida?”); a "
    "primeira é o exemplo sugerido. Lista vazia: a verificação do fechamento fica desligada.",
    "auxiliaries": "Verbos auxiliares que, seguidos de “estar” e gerúndio, formam o "
    "gerundismo (vou, pode, deve, quer...).",
}


def checker(session: Session) -> Checker:
    """The lists of this transaction, compiled (a per-process copy)."""
    found: Checker = db_cache.get(session, _CACHE_KEY, lambda: Checker(_load(session)))
    return found


def _items(row: ReplyCheckList) -> tuple[Phrase, ...]:
    return tuple(Phrase(str(i["phrase"]), str(i.get("suggestion") or "")) for i in row.items)


def _load(session: Session) -> Lists:
    rows = {r.name: r for r in repository.all_lists(session)}
    values = {
        name: _items(rows[name]) if name in rows else DEFAULT_LISTS.get(name) for name in LIST_NAMES
    }
    return Lists(**values)


def check_draft(session: Session, *, actor: Actor, body: str) -> list[Finding]:
    """The warnings for a public reply about to be sent (staff only; nothing is written)."""
    ensure_staff(actor)
    return checker(session).check(body)


def check_sent_reply(session: Session, *, text: str) -> dict[str, Any]:
    """What is recorded with a public reply an agent sends: its findings (offsets into the
    message's ``body_text``); a reply sent with findings was sent despite the warnings."""
    return {"findings": [f.as_dict() for f in checker(session).check(text)]}


def _known(name: str) -> ListName:
    for known in LIST_NAMES:
        if name == known:
            return known
    raise NotFound(
        "lista {name!r} não existe; as listas são: {list_names}",
        name=name,
        list_names=", ".join(LIST_NAMES),
    )


def _as_json(items: Sequence[Phrase]) -> list[dict[str, str]]:
    return [{"phrase": p.phrase, "suggestion": p.suggestion} for p in items]


def _view(name: ListName, row: ReplyCheckList | None) -> dict[str, Any]:
    items = _items(row) if row is not None else DEFAULT_LISTS.get(name)
    return {
        "name": name,
        "description": DESCRIPTIONS[name],
        "items": _as_json(items),
        "updated_at": row.updated_at if row is not None else None,
        "updated_by_user_id": row.updated_by_user_id if row is not None else None,
    }


def list_views(session: Session, *, actor: Actor) -> list[dict[str, Any]]:
    ensure_staff(actor)
    rows = {r.name: r for r in repository.all_lists(session)}
    return [_view(name, rows.get(name)) for name in LIST_NAMES]


def list_view(session: Session, *, actor: Actor, name: str) -> dict[str, Any]:
    ensure_staff(actor)
    known = _known(name)
    rows = {r.name: r for r in repository.all_lists(session)}
    return _view(known, rows.get(known))


def replace_list(
    session: Session,
    *,
    actor: Actor,
    name: str,
    items: Sequence[Mapping[str, object]],
    now: datetime,
) -> dict[str, Any]:
    """Replace list ``name`` by ``items`` (validated: the field at fault is named) and record
    the change with who, when, before and after. The same items again change nothing."""
    ensure_admin(actor)
    known = _known(name)
    after = _as_json(validate_items(known, items))
    row = repository.list_for_update(session, known)
    if row is None:  # a database whose seed row was removed: the defaults were in force
        row = ReplyCheckList(name=known, items=_as_json(DEFAULT_LISTS.get(known)))
        session.add(row)
    before = list(row.items)
    if before != after:
        row.items = after
        row.updated_at = now
        row.updated_by_user_id = actor.user_id
        session.add(
            ReplyCheckListChange(
                list_name=known,
                actor_user_id=actor.user_id,
                actor_label=actor.label[:200],
                before=before,
                after=after,
                created_at=now,
            )
        )
        session.flush()
    return _view(known, row)


def list_changes(
    session: Session, *, actor: Actor, name: str, before_id: int | None, limit: int
) -> Sequence[ReplyCheckListChange]:
    """The recorded changes of list ``name``, newest first (admins)."""
    ensure_admin(actor)
    return repository.changes(session, name=_known(name), before_id=before_id, limit=limit)
