"""``/webhooks/whatsapp/{key}`` and ``/webhooks/telegram/{key}``: where Meta and Telegram call.

Only transport: the caller is checked (Meta's signature, Telegram's secret token: 401
otherwise), what came is stored raw and the answer is immediate; the worker ingests
(docs/channels.md, decision 0018). An unknown or switched-off channel answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from atende.api.deps import AppSettings, DbSession, Now
from atende.channels import telegram_api, webhook_in

router = APIRouter(tags=["channels"], include_in_schema=False)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


def _answer(result: webhook_in.Refused | int) -> PlainTextResponse:
    if isinstance(result, webhook_in.Refused):
        text = "assinatura inválida" if result.value == 401 else "canal desconhecido"
        return PlainTextResponse(text, status_code=result.value)
    return PlainTextResponse("ok")


@router.get("/webhooks/whatsapp/{key}")
def whatsapp_verify(
    key: str,
    session: DbSession,
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=20)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=200)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=200)] = None,
) -> PlainTextResponse:
    """Meta's subscription check: ``hub.challenge`` as plain text when the verify token is the
    channel's; 403 otherwise."""
    found = webhook_in.whatsapp_challenge(
        session, key=key[:100], mode=mode, token=token, challenge=challenge
    )
    if found is None:
        return PlainTextResponse("token de verificação inválido", status_code=403)
    return PlainTextResponse(found)


@router.post("/webhooks/whatsapp/{key}")
def whatsapp_receive(
    key: str,
    raw: RawBody,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> PlainTextResponse:
    result = webhook_in.whatsapp_receive(
        session, key=key[:100], raw=raw, signature=signature,
        secret_key=settings.resolved_secret_key, now=now,
    )  # fmt: skip
    return _answer(result)


@router.post("/webhooks/telegram/{key}")
def telegram_receive(
    key: str,
    raw: RawBody,
    session: DbSession,
    now: Now,
    secret_token: Annotated[
        str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token", max_length=256)
    ] = None,
) -> Response:
    """A tap on the bot's buttons (``callback_query``) is answered in the response itself
    (``answerCallbackQuery``): the customer's app stops waiting at once."""
    result = webhook_in.telegram_receive(
        session, key=key[:100], raw=raw, secret_token=secret_token, now=now
    )
    method = None if isinstance(result, webhook_in.Refused) else telegram_api.callback_answer(raw)
    return JSONResponse(method) if method is not None else _answer(result)
