"""The demo's chat: the front-door bot of seed 004 ("Drica": Sou Cliente / Não sou Cliente /
Sou Franqueado, ``#prime`` to the Prime queue, a Prime customer who did not use it told the
right way and transferred) and a website widget that uses it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.chat import flows
from atende.chat import service as chat_service
from atende.chat.models import ChatWidget

FLOW_KEY = "porta-de-entrada"
PRIME_QUEUE = "Prime - Especialistas"

PRIME_TEXT = (
    "Atendimento Prime – Exclusivo para Você!\n"
    "Identificamos que você é um cliente Prime, mas acionou o bot de forma incorreta. "
    "Como um serviço exclusivo e prioritário, o Atendimento Prime garante um suporte ainda "
    "mais ágil para você. Mesmo assim, vamos transferi-lo para o Atendimento Prime, pois você "
    "tem direito a um suporte prioritário. Mas, para evitar atrasos em futuras solicitações, "
    "siga estas instruções corretamente:\n"
    "-> Passo a Passo para seu Atendimento Prime:\n"
    '- Inicie a conversa com um "Oi".\n'
    "- Informe seu nome quando solicitado.\n"
    "- Quando a Drica perguntar: Sou Cliente, Não sou Cliente ou Sou Franqueado, não precisa "
    "clicar em nenhuma opção.\n"
    "- Para acessar seu Atendimento Prime, digite a palavra-chave #prime\n"
    "Seu atendimento Prime é um diferencial que você paga para ter prioridade. Use-o "
    "corretamente e tenha suporte rápido e eficiente!"
)

FRONT_DOOR: dict[str, Any] = {
    "start": "menu",
    "default_queue": "Suporte N1",
    "keywords": [
        {
            "match": "#prime",
            "mode": "token",
            "action": {
                "route": PRIME_QUEUE,
                "text": "Atendimento Prime: vou te transferir para um especialista.",
            },
        }
    ],
    "commands": {
        "menu": {"goto": "menu"},
        "atendente": {"route": "Suporte N1", "text": "Vou te transferir para um atendente."},
    },
    "plan_routes": [{"plan": "Prime", "queue": PRIME_QUEUE, "text": PRIME_TEXT}],
    "nodes": {
        "menu": {
            "type": "menu",
            "text": "Olá! Eu sou a Drica, a assistente virtual. Como posso ajudar?",
            "invalid": "Não entendi. Responda com o número de uma opção.",
            "max_retries": 2,
            "options": [
                {"key": "1", "label": "Sou Cliente", "aliases": ["cliente"], "next": "cliente"},
                {
                    "key": "2",
                    "label": "Não sou Cliente",
                    "aliases": ["nao cliente"],
                    "next": "nc_telefone",
                },
                {
                    "key": "3",
                    "label": "Sou Franqueado",
                    "aliases": ["franqueado"],
                    "next": "franqueado",
                },
            ],
        },
        "cliente": {
            "type": "route",
            "queue": "Suporte N1",
            "text": "Certo! Vou te transferir para o suporte. Aguarde um instante.",
        },
        "franqueado": {
            "type": "route",
            "queue": "Special Service",
            "text": "Vou te transferir para o atendimento a franqueados.",
        },
        "nc_telefone": {
            "type": "ask",
            "var": "phone",
            "text": "Qual é o seu telefone?",
            "next": "nc_segmento",
        },
        "nc_segmento": {
            "type": "ask",
            "var": "segment",
            "text": "Qual é o segmento da sua empresa (ex.: Varejo, Restaurante)?",
            "next": "nc_pedido",
        },
        "nc_pedido": {
            "type": "ask",
            "var": "request",
            "text": "Conte o que você precisa.",
            "next": "nc_fim",
        },
        "nc_fim": {
            "type": "intake",
            "queue": "Clientes",
            "text": "Obrigado! Nosso time comercial vai falar com você.",
        },
    },
}


def load(session: Session, *, now: datetime, queue_ids: dict[str, int]) -> ChatWidget:
    """The published front-door flow and the demo site's widget (in the caller's
    transaction)."""
    draft = flows.create_draft(session, actor=SYSTEM, key=FLOW_KEY, definition=FRONT_DOOR, now=now)
    flows.publish(session, actor=SYSTEM, flow_id=draft.id, now=now)
    return chat_service.create_widget(
        session,
        actor=SYSTEM,
        data={
            "name": "Solis Sistemas",
            "color": "#1f5fbf",
            "greeting": "Olá! Bem-vindo ao atendimento da Solis.",
            "queue_id": queue_ids["Suporte N1"],
            "prechat": "either",
            "bot_flow_key": FLOW_KEY,
        },
        now=now,
    )
