"""Jinja2 templates (autoescape on) and the filters they use: pt-BR labels, local times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from atende.auth.actor import Actor

HERE = Path(__file__).parent

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True

STATUS_LABELS = {
    "new": "Novo",
    "open": "Aberto",
    "pending_customer": "Aguardando cliente",
    "pending_internal": "Aguardando interno",
    "resolved": "Resolvido",
    "closed": "Fechado",
}
PRIORITY_LABELS = {"low": "Baixa", "normal": "Normal", "high": "Alta", "urgent": "Urgente"}
CHANNEL_LABELS = {
    "chat": "Chat",
    "email": "E-mail",
    "phone": "Telefone",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "teams": "Teams",
    "portal": "Portal",
    "api": "API",
}
ROLE_LABELS = {
    "admin": "Administrador",
    "supervisor": "Supervisor",
    "agent": "Agente",
    "contact": "Cliente",
}
EVENT_LABELS = {
    "created": "abriu o chamado",
    "status": "mudou o status",
    "subject": "mudou o assunto",
    "priority": "mudou a prioridade",
    "type": "mudou o tipo",
    "assignee": "mudou o responsável",
    "organization": "mudou a organização",
    "custom_fields": "mudou os campos personalizados",
    "chat_ended": "encerrou o chat",
    "queue": "transferiu de fila",
    "tags": "mudou as etiquetas",
    "split": "dividiu este chamado, criando o",
    "split_from": "criou este chamado dividindo o",
    "merged_into": "mesclou este chamado no",
    "merged_from": "mesclou aqui o chamado",
    "follow_up": "abriu o chamado de continuação",
    "follow_up_of": "abriu este chamado como continuação do",
}
# Details the services write in English, shown in Portuguese; free text (a reason) stays as is.
EVENT_DETAILS = {
    "the contact replied": "o cliente respondeu",
    "first public reply": "primeira resposta pública",
    "imported": "importado",
}
TYPE_LABELS = {
    "question": "Dúvida",
    "incident": "Incidente",
    "problem": "Problema",
    "request": "Solicitação",
    "cancellation": "Cancelamento",
    "task": "Tarefa",
}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("America/Sao_Paulo")


def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name or "pt_BR")
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("pt_BR")


def local_datetime(value: datetime | None, actor: Actor | None, fmt: str = "short") -> str:
    """An aware time shown in the actor's zone and locale (pt-BR by default)."""
    if value is None:
        return "—"
    zone = _zone(actor.timezone if actor else "America/Sao_Paulo")
    locale = _locale(actor.locale if actor else "pt_BR")
    return format_datetime(value, fmt, tzinfo=zone, locale=locale)


def iso_datetime(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _label(table: dict[str, str]) -> Any:
    def label(value: str | None) -> str:
        if value is None:
            return "—"
        return table.get(value, value.replace("_", " "))

    return label


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " "))


def event_detail(detail: str) -> str:
    return EVENT_DETAILS.get(detail, detail)


def event_value(value: Any) -> str:
    """A before/after value of an event, readable."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    text = str(value)
    return STATUS_LABELS.get(text) or PRIORITY_LABELS.get(text) or text


templates.env.filters.update(
    localtime=local_datetime,
    isotime=iso_datetime,
    status_label=_label(STATUS_LABELS),
    priority_label=_label(PRIORITY_LABELS),
    channel_label=_label(CHANNEL_LABELS),
    type_label=_label(TYPE_LABELS),
    role_label=_label(ROLE_LABELS),
    event_label=event_label,
    event_detail=event_detail,
    event_value=event_value,
)
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, PRIORITY_LABELS=PRIORITY_LABELS)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )
    response.headers.setdefault("Cache-Control", "no-store")
    return response
