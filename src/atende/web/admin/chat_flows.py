"""``/admin/chat/flows/…``: the front-door bot's flows (docs/chat.md, ``domain/chatbot.py``) as
versioned data: the published version shown as an outline of its steps, a draft edited as JSON
in a checked text area (decision 0028: a flow is a graph of named steps with nested options and
actions), validated and published, and a conversation simulated, all through ``chat.flows``
(the API's ``/api/v1/chat/flows``: audited; a published version is never edited)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from atende.api.deps import DbSession, Now
from atende.chat import flows
from atende.chat import repository as chat_repository
from atende.chat.models import BotFlow
from atende.chat.schemas import FlowIn
from atende.domain.errors import DomainError
from atende.web.admin.common import (
    AdminRoute,
    AdminUser,
    CsrfAdminUser,
    admin_render,
    back,
    found,
)
from atende.web.admin.forms import FormErrors, PostedForm, checked, form_text
from atende.web.deps import WebUser
from atende.web.i18n import N_, _

router = APIRouter(include_in_schema=False, route_class=AdminRoute)

SECTION = "chat"
BASE = "/admin/chat/flows"
MAX_DEFINITION = 200_000  # characters of JSON
MAX_INPUTS = 100
STATUS_LABELS = {"draft": N_("draft"), "published": N_("published"), "retired": N_("retired")}
# The flow validation's sentences (domain/chatbot.py builds them from these templates; the
# domain cannot mark them itself): listed here so that they are extracted and translated.
PROBLEM_TEXTS = (
    N_("must be a text of 1 to {max_text} characters"),
    N_('must be {{"goto": "<step>"}} or {{"route": "<queue>"}}'),
    N_("no step named {step!r}"),
    N_("a flow is a JSON object"),
    N_("a flow needs at least one step"),
    N_("at most {max_nodes} steps"),
    N_("must name one of the steps"),
    N_("must be an object"),
    N_('must be "token" or "contains"'),
    N_("must be an object of word: action"),
    N_("no chat can reach this step"),
    N_("these steps loop without waiting for an answer: {steps}"),
    N_("a step's name is lowercase letters, digits, - and _"),
    N_("must be one of {types}"),
    N_("an ask step names the answer it keeps"),
    N_("a menu has 1 to {max_options} options"),
    N_("{word} also answers {other}"),
    N_("a whole number from 0 to {max_retries}"),
)
STARTER: dict[str, Any] = {
    "start": "menu",
    "default_queue": "",
    "nodes": {
        "menu": {
            "type": "menu",
            "text": "Olá! Como podemos ajudar?",
            "invalid": "Não entendi. Responda com o número de uma opção.",
            "options": [{"key": "1", "label": "Falar com o suporte", "next": "suporte"}],
        },
        "suporte": {"type": "route", "text": "Vou te transferir.", "queue": ""},
    },
}


def outline(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The flow's steps as the page lists them: name, type, what it says, where it goes."""
    steps: list[dict[str, Any]] = []
    nodes = definition.get("nodes")
    if not isinstance(nodes, dict):
        return steps
    for name, node in nodes.items():
        if not isinstance(node, dict):
            continue
        options = [
            f"{o.get('key', '')}. {o.get('label', '')} → {o.get('next', '')}"
            for o in node.get("options") or []
            if isinstance(o, dict)
        ]
        goes = node.get("queue") or node.get("next") or ""
        steps.append(
            {
                "name": name,
                "type": str(node.get("type", "")),
                "text": str(node.get("text", "")),
                "options": options,
                "goes": str(goes),
                "start": name == definition.get("start"),
            }
        )
    return steps


def _page(
    request: Request,
    session: Session,
    user: WebUser,
    flow: BotFlow,
    *,
    text: str | None = None,
    errors: list[str] | None = None,
    transcript: list[dict[str, Any]] | None = None,
    inputs: str = "",
    plan: str = "",
    status_code: int = 200,
) -> Response:
    published = chat_repository.published_flow(session, flow.key)
    context = {
        "user": user,
        "flow": flow,
        "status": _(STATUS_LABELS.get(flow.status, flow.status)),
        "text": text
        if text is not None
        else json.dumps(flow.definition, ensure_ascii=False, indent=2),
        "steps": outline(flow.definition),
        "published": published,
        "errors": errors or [],
        "transcript": transcript,
        "inputs": inputs,
        "plan": plan,
    }
    return admin_render(
        request, "admin/chat/flow.html", context, section=SECTION, status_code=status_code
    )


def _flow(session: Session, user: WebUser, flow_id: int) -> BotFlow:
    return found(lambda: flows.get(session, actor=user.actor, flow_id=flow_id))


@router.get(BASE + "/{flow_id}")
def flow_page(request: Request, session: DbSession, user: AdminUser, flow_id: int) -> Response:
    flow = _flow(session, user, flow_id)
    return _page(request, session, user, flow)


@router.post(f"{BASE}/new")
def new_draft(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, data: PostedForm
) -> Response:
    """A new draft of flow ``key``: a copy of its published version, or a starter flow."""
    key = form_text(data, "key", 100)
    published = chat_repository.published_flow(session, key) if key else None
    definition = dict(published.definition) if published is not None else STARTER
    try:
        body = checked(FlowIn, {"key": key, "definition": definition})
        with session.begin_nested():
            draft = flows.create_draft(
                session, actor=user.actor, key=body.key, definition=body.definition, now=now
            )
    except FormErrors as exc:
        return back(f"/admin/chat?flow_error={'key' if 'key' in exc.errors else 'form'}")
    return back(f"{BASE}/{draft.id}")


@router.post(BASE + "/{flow_id}/copy")
def copy_flow(
    request: Request, session: DbSession, user: CsrfAdminUser, now: Now, flow_id: int
) -> Response:
    """A new draft of the flow's key, starting from this version."""
    flow = _flow(session, user, flow_id)
    with session.begin_nested():
        draft = flows.create_draft(
            session, actor=user.actor, key=flow.key, definition=dict(flow.definition), now=now
        )
    return back(f"{BASE}/{draft.id}")


def _parsed(text: str) -> dict[str, Any]:
    """The JSON of the text area, or FormErrors saying where it breaks (line and column)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormErrors(
            {
                "definition": _(
                    "The text is not valid JSON: line %(line)s, column %(column)s (%(what)s)."
                )
                % {"line": exc.lineno, "column": exc.colno, "what": exc.msg}
            }
        ) from None
    if not isinstance(value, dict):
        raise FormErrors({"definition": _("A flow is a JSON object: { ... }.")})
    return value


@router.post(BASE + "/{flow_id}")
def change_draft(
    request: Request,
    session: DbSession,
    user: CsrfAdminUser,
    now: Now,
    flow_id: int,
    definition: Annotated[str, Form(max_length=MAX_DEFINITION)] = "",
    intent: Annotated[str, Form(max_length=20)] = "save",
    inputs: Annotated[str, Form(max_length=20_000)] = "",
    plan: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Save the draft (``intent=save``), save and publish it (``publish``: validated, the
    version before retires) or save it and simulate a conversation (``simulate``: the inputs
    one per line, the visitor's plan)."""
    flow = _flow(session, user, flow_id)
    lines = [line.strip() for line in inputs.splitlines() if line.strip()][:MAX_INPUTS]
    try:
        parsed = _parsed(definition)
        with session.begin_nested():
            flows.update_draft(
                session, actor=user.actor, flow_id=flow.id, definition=parsed, now=now
            )
            if intent == "publish":
                flows.publish(session, actor=user.actor, flow_id=flow.id, now=now)
        if intent == "simulate":
            out = flows.simulate(
                session, actor=user.actor, flow_id=flow.id, inputs=lines, plan=plan or None
            )
            return _page(
                request,
                session,
                user,
                flow,
                transcript=out["transcript"],
                text=definition,
                inputs=inputs,
                plan=plan,
            )
    except FormErrors as exc:
        return _page(request, session, user, flow, errors=list(exc.errors.values()),
                     status_code=422, text=definition, inputs=inputs, plan=plan)  # fmt: skip
    except flows.FlowInvalid as exc:
        problems = [f"{p.path or '/'}: {p.text(_)}" for p in exc.problems]
        session.refresh(flow)
        return _page(
            request,
            session,
            user,
            flow,
            errors=problems,
            status_code=422,
            text=definition,
            inputs=inputs,
            plan=plan,
        )
    except DomainError as exc:
        session.refresh(flow)
        return _page(
            request,
            session,
            user,
            flow,
            errors=[exc.text(_)],
            status_code=422,
            text=definition,
            inputs=inputs,
            plan=plan,
        )
    done = "published" if intent == "publish" else "saved"
    return back(f"{BASE}/{flow.id}?{done}=1")
