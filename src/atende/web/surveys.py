"""The public survey page (no login: the signed link is the capability).

``GET /pesquisa/<token>?nota=N`` shows the survey with N only pre-selected: link scanners that
follow every link of an e-mail record nothing. The customer confirms with the button (a POST
carrying the link's token and the anonymous double-submit CSRF token, web/csrf.py), may
comment, and a low score asks why. A second answer, an expired link and a forged one get a page
saying so, in the visitor's language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from atende.api.deps import AppSettings, DbSession, Now
from atende.db.engine import transaction
from atende.domain import surveys as rules
from atende.domain.errors import ValidationFailed
from atende.settings import Settings
from atende.surveys import service
from atende.web import csrf
from atende.web.i18n import N_, _
from atende.web.pages import HtmlRoute
from atende.web.survey_labels import CSAT_LABELS, REASON_LABELS
from atende.web.templating import render
from atende.workflows import surveys as survey_workflows

PATH = "/pesquisa/{token}"
router = APIRouter(include_in_schema=False, route_class=HtmlRoute)

assert set(REASON_LABELS) == set(service.REASONS)
OUTCOMES = {
    "invalid": (404, N_("Invalid link"), N_(
        "This survey link is not valid. Check that you opened the whole link from the e-mail."
    )),
    "expired": (410, N_("Link expired"), N_(
        "This survey link has expired. Thank you for your interest anyway."
    )),
    "answered": (409, N_("Survey already answered"), N_(
        "This survey was already answered, and each link counts once. Thank you!"
    )),
    "thanks": (200, N_("Thank you!"), N_(
        "Your rating was recorded. It helps our team to improve."
    )),
}  # fmt: skip


def _outcome(request: Request, key: str) -> Response:
    status, title, detail = OUTCOMES[key]
    return render(
        request, "surveys/outcome.html", {"title": _(title), "detail": _(detail), "outcome": key},
        status_code=status,
    )  # fmt: skip


def _scores(kind: str) -> list[dict[str, Any]]:
    low, high = rules.SCALES[kind]
    return [
        {
            "value": s,
            "label": _(CSAT_LABELS[s]) if kind == "csat" else "",
            "low": rules.asks_why(kind, s),
        }
        for s in range(low, high + 1)
    ]


def _form(
    request: Request,
    settings: Settings,
    opened: service.Opened,
    *,
    token: str,
    selected: int | None,
    reason: str = "",
    comment: str = "",
    error: str | None = None,
    status_code: int = 200,
    fresh_csrf: bool = False,
) -> Response:
    secret_key = settings.resolved_secret_key
    anon = request.cookies.get(csrf.ANON_COOKIE)
    if fresh_csrf or not csrf.anonymous_token_is_genuine(secret_key, anon):
        anon = csrf.new_anonymous_token(secret_key)
    kind = opened.invitation.kind
    context = {
        "token": token,
        "kind": kind,
        "ticket_number": opened.ticket_number,
        "ticket_subject": opened.ticket_subject,
        "scores": _scores(kind),
        "selected": selected,
        "reasons": [(code, _(label)) for code, label in REASON_LABELS.items()],
        "reason": reason,
        "comment": comment,
        "error": error,
        "csrf_token": anon,
    }
    response = render(request, "surveys/survey.html", context, status_code=status_code)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays on this page
    response.headers["X-Robots-Tag"] = "noindex"
    response.set_cookie(
        csrf.ANON_COOKIE, anon or "", httponly=True, samesite="lax",
        secure=settings.cookie_secure, path="/",
    )  # fmt: skip
    return response


def _score(value: str | None, kind: str) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit() or len(value) > 3:
        return None
    score = int(value)
    low, high = rules.SCALES[kind]
    return score if low <= score <= high else None


@router.get(PATH)
def survey_page(
    request: Request, token: str, settings: AppSettings, now: Now, nota: str | None = None
) -> Response:
    """The survey, the e-mail's chosen score pre-selected (nothing recorded but the opening)."""
    try:
        with transaction(request.app.state.sessionmaker) as session:
            opened = service.open_link(
                session, token=token, secret_key=settings.resolved_secret_key, now=now
            )
            selected = _score(nota, opened.invitation.kind)
            response = _form(request, settings, opened, token=token, selected=selected)
    except service.LinkInvalid:
        return _outcome(request, "invalid")
    except service.LinkExpired:
        return _outcome(request, "expired")
    except service.LinkAnswered:
        return _outcome(request, "answered")
    return response


@router.post(PATH)
def survey_answer(
    request: Request,
    token: str,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    nota: Annotated[str | None, Form(max_length=3)] = None,
    motivo: Annotated[str, Form(max_length=40)] = "",
    comentario: Annotated[str, Form(max_length=service.MAX_COMMENT)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the confirmed answer (once). The success path reads the invitation once; a
    refusal reads it again to show the form with what was sent."""
    secret_key = settings.resolved_secret_key
    score = int(nota) if nota is not None and nota.strip().isdigit() else None
    problem: str | None = None
    status = 422
    try:
        if not csrf.anonymous_form_is_valid(
            secret_key, request.cookies.get(csrf.ANON_COOKIE), csrf_token
        ):
            problem = _("The form expired. Check your answer and send it again.")
            status = 403
        else:
            with session.begin_nested():
                survey_workflows.answer(
                    session, token=token, secret_key=secret_key, score=score, reason=motivo,
                    comment=comentario, now=now,
                )  # fmt: skip
    except service.LinkInvalid:
        return _outcome(request, "invalid")
    except service.LinkExpired:
        return _outcome(request, "expired")
    except service.LinkAnswered:
        return _outcome(request, "answered")
    except ValidationFailed as exc:
        problem = (
            _("Choose one of the reasons listed.")
            if exc.field == "reason"
            else _("Choose a score.")
        )
    if problem is not None:
        try:
            opened = service.open_link(session, token=token, secret_key=secret_key, now=now)
        except service.LinkInvalid:
            return _outcome(request, "invalid")
        except service.LinkExpired:
            return _outcome(request, "expired")
        except service.LinkAnswered:
            return _outcome(request, "answered")
        kind = opened.invitation.kind
        return _form(
            request, settings, opened, token=token, selected=_score(nota, kind), reason=motivo,
            comment=comentario, status_code=status, error=problem, fresh_csrf=status == 403,
        )  # fmt: skip
    response = _outcome(request, "thanks")
    response.delete_cookie(csrf.ANON_COOKIE, path="/")
    return response
