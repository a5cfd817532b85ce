"""An admin cannot deactivate, demote or delete their own account, nor the last admin.

Through ``PATCH`` / ``DELETE /api/v1/users/{id}``; the refusal is a 409 problem+json whose detail
names the rule. Over the API the acting admin is always an active admin, so "the last admin" can
only be the actor (the self rule answers first); the last-admin rule on its own is reached by the
system actor (CLI, jobs) through the service, tested here too.

Passwords: a new one follows the rules (length, not a common password, not the user's name or
e-mail) and, set by an admin or by the user, ends the user's other web sessions and tokens.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from atende.agents import service as user_service
from atende.auth.actor import SYSTEM
from atende.domain.errors import Conflict

V1 = "/api/v1"


def _refused(res: Any, *words: str) -> dict[str, Any]:
    assert res.status_code == 409, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = res.json()
    assert problem["status"] == 409
    assert problem["code"] == "conflict"
    for word in words:
        assert word in problem["detail"], problem
    return problem


def _user(admin: Any, user_id: int) -> dict[str, Any]:
    res = admin.get(f"{V1}/users/{user_id}")
    assert res.status_code == 200, res.text
    data: dict[str, Any] = res.json()
    return data


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_admin_cannot_demote_themselves(admin: Any, role: str) -> None:
    _refused(admin.patch(f"{V1}/users/{admin.id}", json={"role": role}), "own account", "demote")
    assert _user(admin, admin.id)["role"] == "admin"


def test_admin_cannot_deactivate_themselves(admin: Any) -> None:
    _refused(admin.patch(f"{V1}/users/{admin.id}", json={"active": False}), "own account")
    assert _user(admin, admin.id)["active"] is True


def test_self_deactivation_error_names_the_active_field(admin: Any) -> None:
    problem = _refused(admin.patch(f"{V1}/users/{admin.id}", json={"active": False}))
    assert problem["errors"] == [{"field": "active", "message": problem["detail"]}]


def test_self_demotion_error_names_the_role_field(admin: Any) -> None:
    problem = _refused(admin.patch(f"{V1}/users/{admin.id}", json={"role": "agent"}))
    assert problem["errors"] == [{"field": "role", "message": problem["detail"]}]


def test_admin_cannot_delete_themselves(admin: Any) -> None:
    _refused(admin.delete(f"{V1}/users/{admin.id}"), "own account", "delete")
    assert _user(admin, admin.id)["active"] is True


def test_harmless_changes_to_ones_own_account_are_allowed(admin: Any) -> None:
    res = admin.patch(
        f"{V1}/users/{admin.id}", json={"name": "Ana A.", "role": "admin", "active": True}
    )
    assert res.status_code == 200, res.text
    assert res.json()["name"] == "Ana A." and res.json()["role"] == "admin"


def test_a_refused_change_writes_nothing(admin: Any) -> None:
    """The whole PATCH is refused, not only the forbidden field."""
    _refused(admin.patch(f"{V1}/users/{admin.id}", json={"name": "Outra", "role": "agent"}))
    assert _user(admin, admin.id)["name"] == "Ana Admin"


def test_a_second_admin_can_demote_the_first(admin: Any, make_user: Any) -> None:
    second = make_user("admin")
    res = second.patch(f"{V1}/users/{admin.id}", json={"role": "agent"})
    assert res.status_code == 200, res.text
    assert res.json()["role"] == "agent"
    # the demoted admin lost admin rights at once
    assert admin.post(f"{V1}/plans", json={"name": "Prime"}).status_code == 403
    assert admin.patch(f"{V1}/users/{second.id}", json={"role": "agent"}).status_code == 403
    # and now the second admin is the last one: the self rule still protects them
    _refused(second.patch(f"{V1}/users/{second.id}", json={"role": "agent"}), "own account")
    _refused(second.delete(f"{V1}/users/{second.id}"), "own account")


def test_a_second_admin_can_deactivate_or_delete_the_first(admin: Any, make_user: Any) -> None:
    second = make_user("admin")
    third = make_user("admin")
    res = second.patch(f"{V1}/users/{admin.id}", json={"active": False})
    assert res.status_code == 200, res.text
    assert res.json()["active"] is False
    assert admin.get(f"{V1}/users/me").status_code == 401  # an inactive user's token is refused
    res = second.delete(f"{V1}/users/{third.id}")
    assert res.status_code == 204, res.text
    assert second.get(f"{V1}/users/{third.id}").status_code == 404
    assert third.get(f"{V1}/users/me").status_code == 401


def test_an_inactive_admin_does_not_count(admin: Any, make_user: Any) -> None:
    """With admin 2 deactivated, admin 1 is the last active admin: still protected."""
    second = make_user("admin")
    assert admin.patch(f"{V1}/users/{second.id}", json={"active": False}).status_code == 200
    _refused(admin.patch(f"{V1}/users/{admin.id}", json={"role": "agent"}))
    # reactivating the second admin makes a demotion of the first possible again
    assert admin.patch(f"{V1}/users/{second.id}", json={"active": True}).status_code == 200
    assert admin.patch(f"{V1}/users/{second.id}", json={"role": "supervisor"}).status_code == 200


def test_other_roles_cannot_change_users(admin: Any, make_user: Any) -> None:
    for role in ("supervisor", "agent"):
        user = make_user(role)
        assert user.patch(f"{V1}/users/{admin.id}", json={"role": "agent"}).status_code == 403
        assert user.delete(f"{V1}/users/{admin.id}").status_code == 403
        assert user.patch(f"{V1}/users/{user.id}", json={"role": "admin"}).status_code == 403
    assert _user(admin, admin.id)["role"] == "admin"


@pytest.mark.parametrize(
    "changes", [{"role": "agent"}, {"role": "supervisor"}, {"active": False}], ids=str
)
def test_the_system_actor_cannot_demote_or_deactivate_the_last_admin(
    db: Session, admin: Any, changes: dict[str, Any]
) -> None:
    with pytest.raises(Conflict, match="last active admin"):
        user_service.update_user(db, actor=SYSTEM, user_id=admin.id, changes=changes)


def test_the_system_actor_cannot_delete_the_last_admin(db: Session, admin: Any) -> None:
    with pytest.raises(Conflict, match="last active admin"):
        user_service.delete_user(db, actor=SYSTEM, user_id=admin.id)


def test_the_system_actor_may_demote_an_admin_who_is_not_the_last(
    db: Session, admin: Any, make_user: Any
) -> None:
    make_user("admin")
    user = user_service.update_user(db, actor=SYSTEM, user_id=admin.id, changes={"role": "agent"})
    assert user.role == "agent"


def test_deleting_a_user_with_history_keeps_the_history(admin: Any, make_user: Any) -> None:
    """A user who wrote messages, holds tickets and manages an account can be deleted: the
    references are cleared (their tokens and memberships go with them), nothing fails."""
    queue = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    agent = make_user("agent", queue_ids=[queue])
    org = admin.post(
        f"{V1}/organizations", json={"name": "Padaria", "account_manager_id": agent.id}
    ).json()["id"]
    ticket = admin.post(
        f"{V1}/tickets",
        json={"subject": "Impressora", "body": "Não imprime", "queue_id": queue},
    ).json()["id"]
    assert (
        agent.post(f"{V1}/tickets/{ticket}/messages", json={"body": "Vou ver"}).status_code == 201
    )
    assert (
        admin.post(f"{V1}/tickets/{ticket}/assign", json={"assignee_id": agent.id}).status_code
        == 200
    )

    res = admin.delete(f"{V1}/users/{agent.id}")
    assert res.status_code == 204, res.text
    assert admin.get(f"{V1}/tickets/{ticket}").json()["assignee_id"] is None
    assert admin.get(f"{V1}/organizations/{org}").json()["account_manager_id"] is None
    timeline = admin.get(f"{V1}/tickets/{ticket}/timeline").json()
    assert any(e["entry"] == "message" and e["body_text"] == "Vou ver" for e in timeline)
    assert agent.get(f"{V1}/users/me").status_code == 401
    assert admin.get(f"{V1}/queues/{queue}").json()["member_ids"] == []


# --------------------------------------------------------------------------------------------
# Passwords: the rules a new one follows, and what a change ends
# --------------------------------------------------------------------------------------------

STRONG = "correct horse battery staple"
NEWER = "gato-azul-pula-a-cerca"


def _invalid(res: Any, field: str, *words: str) -> None:
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    problem = res.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"][0]["field"] == field, problem
    for word in words:
        assert word in problem["detail"], problem


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("curta12", ("at least 8",)),
        ("12345678", ("most common",)),
        ("password", ("most common",)),
        ("PassWord", ("most common",)),  # whatever the case
        ("senha123", ("most common",)),
        ("mudar123", ("most common",)),
        ("Flamengo", ("most common",)),
        ("joão-2024!", ("name or e-mail", "'joao'")),  # the name, accents or not
        ("Souza#Lima99", ("name or e-mail", "'souza'")),
        ("jsouza.lima", ("name or e-mail",)),  # the e-mail's local part
    ],
)
def test_a_new_password_follows_the_rules(
    admin: Any, make_user: Any, password: str, words: tuple[str, ...]
) -> None:
    body = {"name": "João da Souza", "email": "jsouza.lima@padaria.com.br", "password": password}
    _invalid(admin.post(f"{V1}/users", json=body), "password", *words)
    user = admin.post(f"{V1}/users", json={**body, "password": STRONG})
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    _invalid(admin.patch(f"{V1}/users/{user_id}", json={"password": password}), "password", *words)
    # the same rules when users change their own
    own = make_user("agent", name="João da Souza", email="jsouza.lima@mercado.com.br",
                    password=STRONG)  # fmt: skip
    change = {"current_password": STRONG, "new_password": password}
    _invalid(own.put(f"{V1}/users/me/password", json=change), "new_password", *words)


def test_passwords_are_kept_as_typed(admin: Any, make_user: Any, client: Any) -> None:
    from tests.web.conftest import login

    body = {"name": "Rita", "email": "rita@padaria.com.br", "password": f"  {STRONG}  "}
    assert admin.post(f"{V1}/users", json=body).status_code == 201
    assert login(client, "rita@padaria.com.br", f"  {STRONG}  ").status_code == 303


def _web_session(app: Any, email: str, password: str) -> Any:
    """A browser logged in as ``email`` (a client of its own)."""
    from fastapi.testclient import TestClient

    from tests.web.conftest import login

    browser = TestClient(app)
    assert login(browser, email, password).status_code == 303
    assert browser.get("/tickets", follow_redirects=False).status_code == 200
    return browser


def _signed_in(browser: Any) -> bool:
    return bool(browser.get("/tickets", follow_redirects=False).status_code == 200)


def _token(user: Any) -> dict[str, str]:
    res = user.post(f"{V1}/tokens", json={"name": "outro"})
    assert res.status_code == 201, res.text
    return {"Authorization": f"Bearer {res.json()['token']}"}


def test_an_admin_setting_a_password_ends_the_users_sessions_and_tokens(
    app: Any, admin: Any, make_user: Any, client: Any
) -> None:
    agent = make_user("agent", password=STRONG)
    other_token = _token(agent)
    browser = _web_session(app, agent.user.email, STRONG)
    res = admin.patch(f"{V1}/users/{agent.id}", json={"password": NEWER})
    assert res.status_code == 200, res.text
    assert agent.get(f"{V1}/users/me").status_code == 401
    assert client.get(f"{V1}/users/me", headers=other_token).status_code == 401
    assert not _signed_in(browser)
    # the new password works, the old one does not
    assert _signed_in(_web_session(app, agent.user.email, NEWER))
    # other changes end nothing
    fresh = _token(make_user("agent", password=STRONG))
    assert admin.patch(f"{V1}/users/{agent.id}", json={"name": "Novo Nome"}).status_code == 200
    assert client.get(f"{V1}/users/me", headers=fresh).status_code == 200


def test_an_admin_changing_their_own_password_keeps_this_token_only(
    app: Any, admin: Any, client: Any
) -> None:
    other_token = _token(admin)
    res = admin.patch(f"{V1}/users/{admin.id}", json={"password": NEWER})
    assert res.status_code == 200, res.text
    assert admin.get(f"{V1}/users/me").status_code == 200  # the token the change came with
    assert client.get(f"{V1}/users/me", headers=other_token).status_code == 401


def test_users_changing_their_own_password_end_their_other_sessions_and_tokens(
    app: Any, make_user: Any, client: Any
) -> None:
    agent = make_user("agent", password=STRONG)
    other_token = _token(agent)
    browser = _web_session(app, agent.user.email, STRONG)
    colleague = make_user("agent", password=STRONG)
    colleague_browser = _web_session(app, colleague.user.email, STRONG)
    change = {"current_password": STRONG, "new_password": NEWER}
    res = agent.put(f"{V1}/users/me/password", json=change)
    assert res.status_code == 204, res.text
    assert agent.get(f"{V1}/users/me").status_code == 200  # this request's token stays
    assert client.get(f"{V1}/users/me", headers=other_token).status_code == 401
    assert not _signed_in(browser)
    assert _signed_in(_web_session(app, agent.user.email, NEWER))
    # nobody else is touched
    assert colleague.get(f"{V1}/users/me").status_code == 200
    assert _signed_in(colleague_browser)


def test_a_wrong_current_password_is_refused_and_throttled(make_user: Any, settings: Any) -> None:
    agent = make_user("agent", password=STRONG)
    other_token = _token(agent)
    wrong = {"current_password": "not it at all", "new_password": NEWER}
    for _ in range(settings.login_max_attempts):
        _invalid(agent.put(f"{V1}/users/me/password", json=wrong), "current_password", "current")
    throttled = agent.put(f"{V1}/users/me/password", json={**wrong, "current_password": STRONG})
    assert throttled.status_code == 429, throttled.text
    assert throttled.json()["code"] == "too_many_attempts"
    # nothing changed: the other token still works
    assert agent.get(f"{V1}/users/me", headers=other_token).status_code == 200


def test_a_password_holding_the_name_among_enough_else_is_accepted(admin: Any) -> None:
    """The name rule refuses passwords made of the name, not every password that holds it."""
    body = {"name": "Peer Admin", "email": "admin@peer.example", "password": "peer-Secret-123"}
    res = admin.post(f"{V1}/users", json={**body, "role": "admin"})
    assert res.status_code == 201, res.text


def test_the_user_search_takes_percent_and_underscore_as_typed(admin: Any, make_user: Any) -> None:
    exact = make_user("agent", name="Ana_Silva", email="ana_silva@example.test")
    make_user("agent", name="AnaXSilva", email="anaxsilva@example.test")
    make_user("agent", name="Bruno", email="bruno@example.test")

    def names(q: str) -> list[str]:
        r = admin.get("/api/v1/users", params={"q": q})
        assert r.status_code == 200, r.text
        return [u["name"] for u in r.json()["items"]]

    assert names("Ana_") == [exact.user.name]  # "_" is a letter, not "any one character"
    assert names("%") == []  # "%" matches only a "%", not everyone
    assert names("silva") == ["Ana_Silva", "AnaXSilva"]
