"""The seeds' routing as rules: the playbook ``atende demo`` loads (docs/rules.md, "Playbook").

From the support manuals (``shared/seeds``, 002 and 004):

* a delinquent customer whose system is blocked goes to "Financeiro" at once, with a message
  saying why, and no technical support until it is settled;
* a delinquent customer whose system works is served normally; when the technical work is
  resolved, the customer is told and the ticket goes to "Financeiro";
* a cancellation (the ticket's type, or a message asking to cancel the system, contract or plan)
  goes to "Clientes";
* key accounts (franchisors, chains with 15+ stores) go to "Special Service";
* Prime customers go to "Prime - Especialistas" from the opening of business hours (before it,
  anyone may serve them); one who opened the chat without the ``#prime`` keyword gets the
  manual's canned reply explaining it; ``#prime`` in a later message routes the ticket too.

Rules run in position order and each later rule sees what the earlier ones did, so the order is
the precedence: Finance first, then cancellations, key accounts, Prime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.domain.errors import NotFound
from atende.rules import repository
from atende.rules import service as rules_service
from atende.rules.models import CannedReply, Rule

PRIME: Final = "Prime - Especialistas"
FINANCE: Final = "Financeiro"
CUSTOMERS: Final = "Clientes"
SPECIAL: Final = "Special Service"
QUEUES: Final = (PRIME, FINANCE, CUSTOMERS, SPECIAL)

CANCEL_INTENT: Final = (
    r"\bcancel(?:ar|amento|e|o)\b.{0,40}"
    r"\b(?:sistema|contrato|plano|assinatura|servi[cç]o|mensalidade|licen[cç]a)"
)
"""Asking to cancel the system, the contract, the plan...; not "cancelar a venda / o cupom",
which is everyday work on a point-of-sale system."""

CANNED_PRIME: Final = "Atendimento Prime: como acionar o #prime"
CANNED_BLOCKED: Final = "Inadimplência: sistema bloqueado"
CANNED_AFTER_SUPPORT: Final = "Inadimplência: após o atendimento técnico"

CANNED_REPLIES: Final[dict[str, str]] = {
    CANNED_PRIME: (
        "Atendimento Prime – Exclusivo para Você!\n\n"
        "Olá, {{contact.first_name|cliente}}! Identificamos que você é um cliente Prime, mas "
        "acionou o bot de forma incorreta.\n\n"
        "Como um serviço exclusivo e prioritário, o Atendimento Prime garante um suporte ainda "
        "mais ágil para você. Mesmo assim, transferimos o seu atendimento para o Atendimento "
        "Prime, pois você tem direito a um suporte prioritário. Para evitar atrasos em futuras "
        "solicitações, siga estas instruções:\n\n"
        "Passo a passo para o seu Atendimento Prime:\n"
        '- Inicie a conversa com um "Oi".\n'
        "- Informe seu nome quando solicitado.\n"
        "- Quando a Drica perguntar: Sou Cliente, Não sou Cliente ou Sou Franqueado, não "
        "precisa clicar em nenhuma opção.\n"
        "- Para acessar seu Atendimento Prime, digite a palavra-chave #prime\n\n"
        "Seu atendimento Prime é um diferencial que você paga para ter prioridade. Use-o "
        "corretamente e tenha suporte rápido e eficiente!"
    ),
    CANNED_BLOCKED: (
        "Olá, {{contact.first_name|cliente}}.\n\n"
        "Identificamos uma pendência financeira no cadastro de "
        "{{organization.name|sua empresa}}, e por isso o sistema está bloqueado. Para "
        "regularizar, transferimos o seu atendimento (chamado #{{ticket.number}}) para o setor "
        "Financeiro, que vai orientar você sobre o pagamento. Pelo Pix, o desbloqueio é "
        "automático assim que o pagamento é confirmado.\n\n"
        "Ficou alguma dúvida?"
    ),
    CANNED_AFTER_SUPPORT: (
        "Olá, {{contact.first_name|cliente}}.\n\n"
        "O atendimento técnico do chamado #{{ticket.number}} foi concluído. Identificamos também "
        "uma pendência financeira no cadastro de {{organization.name|sua empresa}}: "
        "encaminhamos o chamado ao setor Financeiro, que vai tratar a regularização com você.\n\n"
        "Ficou alguma dúvida?"
    ),
}


def _leaf(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


NOT_BLOCKED: Final = _leaf("organization.system_blocked", "ne", True)
NOT_KEY_ACCOUNT: Final = _leaf("organization.key_account", "ne", True)
IS_PRIME: Final = _leaf("organization.plan", "eq", "Prime")
OPEN_NOW: Final = _leaf("ticket.in_business_hours", "eq", True)


def _rules(queue: dict[str, int], canned: dict[str, int]) -> list[dict[str, Any]]:
    """The playbook's rules, in order (positions are given when loading)."""
    routed_elsewhere = _leaf("ticket.queue", "not_in", [FINANCE, CUSTOMERS])
    return [
        {
            "name": "Financeiro: inadimplente com sistema bloqueado",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    _leaf("organization.delinquent", "eq", True),
                    _leaf("organization.system_blocked", "eq", True),
                ]
            },
            "actions": [
                {"type": "add_tags", "value": ["inadimplente"]},
                {"type": "send_canned_reply", "value": canned[CANNED_BLOCKED]},
                {
                    "type": "transfer",
                    "value": {
                        "queue_id": queue[FINANCE],
                        "reason": "Cliente inadimplente com o sistema bloqueado: transferido "
                        "ao Financeiro logo no início do contato, sem suporte técnico até a "
                        "regularização.",
                    },
                },
            ],
        },
        {
            "name": "Clientes: não cliente interessado (comercial)",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    _leaf("custom_fields.nao_cliente", "eq", True),
                    _leaf("custom_fields.solicitacao", "eq", "comercial"),
                ]
            },
            "actions": [{"type": "set_queue", "value": queue[CUSTOMERS]}],
        },
        {
            "name": "Não cliente pedindo suporte: cobrar antes de iniciar",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    _leaf("custom_fields.nao_cliente", "eq", True),
                    _leaf("custom_fields.solicitacao", "eq", "suporte"),
                ]
            },
            "actions": [
                {"type": "add_tags", "value": ["aguardando-pagamento"]},
                {
                    "type": "add_note",
                    "value": "Não cliente pedindo suporte: passe as informações de cobrança "
                    "(pagamento via Pix), acione o Financeiro em paralelo e aguarde a "
                    "confirmação do pagamento antes de iniciar o atendimento.",
                },
                {"type": "set_status", "value": "pending_internal"},
            ],
        },
        {
            "name": "Clientes: pedido de cancelamento",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    {
                        "any": [
                            _leaf("ticket.type", "eq", "cancellation"),
                            _leaf("message.text", "matches", CANCEL_INTENT),
                        ]
                    },
                    NOT_BLOCKED,
                ]
            },
            "actions": [
                {"type": "set_queue", "value": queue[CUSTOMERS]},
                {"type": "set_type", "value": "cancellation"},
                {"type": "add_tags", "value": ["cancelamento"]},
            ],
        },
        {
            "name": "Special Service: clientes chave",
            "event": "ticket_created",
            "conditions": {
                "all": [_leaf("organization.key_account", "eq", True), routed_elsewhere]
            },
            "actions": [{"type": "set_queue", "value": queue[SPECIAL]}],
        },
        {
            "name": "Prime: clientes Prime para Prime - Especialistas",
            "event": "ticket_created",
            "conditions": {"all": [IS_PRIME, NOT_KEY_ACCOUNT, routed_elsewhere, OPEN_NOW]},
            "actions": [
                {"type": "set_queue", "value": queue[PRIME]},
                {"type": "add_tags", "value": ["prime"]},
            ],
        },
        {
            "name": "Prime: orientar sobre o #prime no chat",
            "event": "ticket_created",
            "conditions": {
                "all": [
                    IS_PRIME,
                    _leaf("ticket.channel", "eq", "chat"),
                    _leaf("ticket.queue", "eq", PRIME),
                    _leaf("message.text", "not_contains", "#prime"),
                ]
            },
            "actions": [{"type": "send_canned_reply", "value": canned[CANNED_PRIME]}],
        },
        {
            "name": "Prime: #prime durante a conversa",
            "event": "message_received",
            "conditions": {
                "all": [
                    IS_PRIME,
                    NOT_KEY_ACCOUNT,
                    _leaf("message.text", "contains", "#prime"),
                    _leaf("ticket.queue", "not_in", [PRIME, FINANCE, CUSTOMERS]),
                    OPEN_NOW,
                ]
            },
            "actions": [
                {"type": "set_queue", "value": queue[PRIME]},
                {"type": "add_tags", "value": ["prime"]},
            ],
        },
        {
            "name": "Clientes: cancelamento pedido durante a conversa",
            "event": "message_received",
            "conditions": {
                "all": [
                    _leaf("message.text", "matches", CANCEL_INTENT),
                    _leaf("ticket.queue", "not_in", [CUSTOMERS, FINANCE]),
                ]
            },
            "actions": [
                {"type": "set_queue", "value": queue[CUSTOMERS]},
                {"type": "add_tags", "value": ["cancelamento"]},
            ],
        },
        {
            "name": "Clientes: tipo cancelamento",
            "event": "ticket_updated",
            "conditions": {
                "all": [
                    _leaf("ticket.type", "eq", "cancellation"),
                    _leaf("ticket.queue", "not_in", [CUSTOMERS, FINANCE]),
                    _leaf("ticket.status", "not_in", ["resolved", "closed"]),
                ]
            },
            "actions": [{"type": "set_queue", "value": queue[CUSTOMERS]}],
        },
        {
            "name": "Financeiro: inadimplente após o atendimento técnico",
            "event": "ticket_updated",
            "conditions": {
                "all": [
                    _leaf("organization.delinquent", "eq", True),
                    NOT_BLOCKED,
                    _leaf("ticket.status", "eq", "resolved"),
                    _leaf("ticket.queue", "ne", FINANCE),
                ]
            },
            "actions": [
                {"type": "send_canned_reply", "value": canned[CANNED_AFTER_SUPPORT]},
                {"type": "set_status", "value": "open"},
                {
                    "type": "transfer",
                    "value": {
                        "queue_id": queue[FINANCE],
                        "reason": "Atendimento técnico concluído; cliente inadimplente: "
                        "transferido ao Financeiro para tratar a pendência.",
                    },
                },
            ],
        },
    ]


def load_playbook(session: Session, *, now: datetime) -> list[Rule]:
    """Create the playbook's canned replies and rules (after any existing rules), as an admin
    would through the API; ones that already exist by name are left as they are. Needs the
    queues "Prime - Especialistas", "Financeiro", "Clientes" and "Special Service". Flushes."""
    queue: dict[str, int] = {}
    for name in QUEUES:
        found = repository.queue_id_by_name(session, name)
        if found is None:
            raise NotFound("the playbook needs a queue named {name!r}", name=name)
        queue[name] = found
    canned: dict[str, int] = {}
    for name, body in CANNED_REPLIES.items():
        row: CannedReply | None = repository.canned_reply_by_name(session, name)
        if row is None:
            row = rules_service.create_canned_reply(
                session, actor=SYSTEM, data={"name": name, "body": body}, now=now
            )
        canned[name] = row.id
    last = repository.last_position(session)
    position = 0 if last is None else last + 1
    out: list[Rule] = []
    for data in _rules(queue, canned):
        existing = repository.rule_by_name(session, data["name"])
        if existing is not None:
            out.append(existing)
            continue
        out.append(
            rules_service.create_rule(
                session, actor=SYSTEM, data={**data, "position": position}, now=now
            )
        )
        position += 1
    return out
