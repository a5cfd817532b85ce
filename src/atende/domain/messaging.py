"""WhatsApp's customer-service window and the providers' failures said in Portuguese.

Pure: values in, values out (decision 0023). The window opens with each message the customer
sends and closes 24 hours later; outside it WhatsApp only delivers approved templates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)

#: WhatsApp Cloud API error codes and what they mean for the agent
WHATSAPP_REASONS = {
    "131047": "mais de 24 horas desde a última mensagem do cliente: envie um modelo aprovado",
    "131026": "mensagem não entregue: o número não usa WhatsApp ou não aceitou os termos atuais",
    "131051": "tipo de mensagem não suportado pelo WhatsApp",
    "131052": "não foi possível baixar a mídia enviada pelo cliente",
    "131053": "não foi possível enviar a mídia",
    "131056": "muitas mensagens para o mesmo cliente em pouco tempo: tente mais tarde",
    "131049": "o WhatsApp não entregou esta mensagem de marketing para preservar o engajamento",
    "131031": "a conta do WhatsApp Business foi bloqueada pela Meta",
    "131042": "problema de pagamento na conta do WhatsApp Business",
    "130429": "limite de envios da API atingido: tente mais tarde",
    "132000": "o número de parâmetros não confere com o modelo aprovado",
    "132001": "o modelo não existe neste idioma ou ainda não foi aprovado",
    "132015": "o modelo foi pausado pela Meta por baixa qualidade",
    "368": "a conta foi restringida pela Meta por violar as políticas",
    "190": "o token de acesso do WhatsApp expirou ou é inválido: atualize o canal",
    "100": "parâmetro inválido na chamada à API do WhatsApp",
}


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    """When the customer-service window closes (None: the customer never wrote)."""
    return None if last_inbound_at is None else last_inbound_at + WINDOW


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    closes = window_closes_at(last_inbound_at)
    return closes is not None and now < closes


def whatsapp_reason(code: str | int | None, detail: str = "") -> str:
    """The Portuguese reason of a WhatsApp failure (the provider's text when the code is
    unknown), with the code."""
    key = str(code) if code is not None else ""
    said = WHATSAPP_REASONS.get(key) or (detail.strip() or "falha sem descrição")
    return f"{said} (código {key})" if key else said


_PLACEHOLDER = re.compile(r"\{\{\s*([0-9]{1,2})\s*\}\}")


def template_parameters(body: str) -> int:
    """How many parameters a template's body takes (``{{1}}`` … ``{{n}}``); ValueError when
    they are not numbered 1 to n."""
    found = sorted({int(n) for n in _PLACEHOLDER.findall(body)})
    if found != list(range(1, len(found) + 1)):
        raise ValueError("placeholders must be numbered {{1}}, {{2}} … without gaps")
    return len(found)


def render_template(body: str, parameters: list[str]) -> str:
    """The template's text with its parameters in place (what the timeline shows)."""
    return _PLACEHOLDER.sub(lambda m: parameters[int(m[1]) - 1], body)


def _size(text: str, utf16: bool) -> int:
    return len(text.encode("utf-16-le")) // 2 if utf16 else len(text)


def chunks(text: str, limit: int, *, utf16: bool = False) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters (UTF-16 code units for Telegram), cut
    at a paragraph, else a line, else a space when one is near; nothing is dropped."""
    pieces: list[str] = []
    rest = text
    while _size(rest, utf16) > limit:
        cut = limit
        while _size(rest[:cut], utf16) > limit:  # astral characters count twice in UTF-16
            cut -= 1
        window = rest[:cut]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > limit // 2:
                cut = at + len(sep)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces
