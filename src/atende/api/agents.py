from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from atende.agents import repository
from atende.agents import service as user_service
from atende.agents.models import User
from atende.agents.schemas import (
    PasswordChangeIn,
    Role,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from atende.api.deps import AppSettings, CurrentActor, DbSession, Now
from atende.api.pagination import Page, decode_id_cursor, encode_cursor
from atende.api.problems import domain_problem
from atende.api.types import PathId
from atende.auth import service as auth_service
from atende.auth.access import ensure_staff

router = APIRouter(tags=["users"])


def _out(session: DbSession, users: list[User]) -> list[UserOut]:
    queues = repository.queue_ids_by_user(session, [u.id for u in users])
    return [UserOut.model_validate(u).model_copy(update={"queue_ids": queues[u.id]}) for u in users]


@router.get("/users", response_model=Page[UserOut])
def list_users(
    session: DbSession,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")] = None,
) -> Page[UserOut]:
    ensure_staff(actor)
    after = decode_id_cursor(cursor)
    rows = list(repository.user_page(session, after_id=after, limit=limit + 1, role=role, q=q))
    nxt = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return Page[UserOut](items=_out(session, rows[:limit]), next_cursor=nxt)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: DbSession, actor: CurrentActor) -> UserOut:
    user = user_service.create_user(session, actor=actor, data=body.model_dump())
    return _out(session, [user])[0]


@router.get("/users/me", response_model=UserOut)
def me(session: DbSession, actor: CurrentActor) -> UserOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    return _out(session, [user])[0]


@router.put("/users/me/password", status_code=204)
def change_my_password(
    body: PasswordChangeIn,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    now: Now,
) -> Response:
    """Change your own password, giving the current one. Your other web sessions end and your
    other API tokens are revoked; the token of this request stays valid. The new password
    needs 8 characters or more, must not be among the most common passwords and must not
    contain your name or e-mail. Wrong current passwords are throttled like logins (429)."""
    refusal = auth_service.change_own_password(
        session,
        actor=actor,
        current=body.current_password,
        new=body.new_password,
        now=now,
        keep_token=auth_service.bearer_digest(request.headers.get("authorization", "")),
        max_attempts=settings.login_max_attempts,
        window=timedelta(seconds=settings.login_window_seconds),
    )
    if refusal is not None:  # answered, not raised: the wrong attempt is committed
        return domain_problem(request, refusal)
    return Response(status_code=204)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: PathId, session: DbSession, actor: CurrentActor) -> UserOut:
    return _out(session, [user_service.get_user(session, actor=actor, user_id=user_id)])[0]


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: PathId,
    body: UserPatch,
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> UserOut:
    """Change a user (admins). A new ``password`` ends the user's web sessions and revokes
    their API tokens (an admin changing their own keeps the token of this request)."""
    user = user_service.update_user(
        session,
        actor=actor,
        user_id=user_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
        keep_token=auth_service.bearer_digest(request.headers.get("authorization", "")),
    )
    return _out(session, [user])[0]


@router.delete("/users/{user_id}", status_code=204)
def delete_user(user_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    user_service.delete_user(session, actor=actor, user_id=user_id)
    return Response(status_code=204)


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, session: DbSession, actor: CurrentActor, now: Now) -> TokenOut:
    user = session.get(User, actor.user_id)
    assert user is not None
    token, secret = auth_service.create_token(session, user=user, name=body.name, now=now)
    return TokenOut(
        id=token.id, name=token.name, prefix=token.prefix, created_at=token.created_at, token=secret
    )


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: PathId, session: DbSession, actor: CurrentActor, now: Now) -> Response:
    auth_service.revoke_token(session, actor=actor, token_id=token_id, now=now)
    return Response(status_code=204)
