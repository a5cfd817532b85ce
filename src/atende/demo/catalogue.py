"""The demo's world: plans, queues, staff and customer organizations of Solis Sistemas, and the
shape of its support cases (``Story``: the cases themselves are in ``stories.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD = "atende-demo"  # noqa: S105 - published on purpose: the demo's known password
ADMIN_EMAIL = "admin@solis.example"

# --- plans and queues ---------------------------------------------------------------------

PLANS: tuple[dict[str, Any], ...] = (
    {
        "name": "Prime",
        "rank": 60,
        "includes_field_desk": True,
        "description": "Atendimento prioritário na fila Prime - Especialistas (palavra-chave "
        "#prime no chat). Visitas do Field Desk conforme as particularidades do contrato Prime.",
    },
    {
        "name": "Premium",
        "rank": 50,
        "includes_field_desk": True,
        "description": "Suporte completo com atendimento presencial do Field Desk incluso.",
    },
    {
        "name": "Plus",
        "rank": 40,
        "includes_field_desk": True,
        "description": "Suporte remoto e atendimento presencial do Field Desk incluso.",
    },
    {
        "name": "Light",
        "rank": 30,
        "includes_field_desk": False,
        "field_desk_discount_percent": 30,  # demo figure: the seed keeps its own table
        "description": "Suporte remoto. Visita do Field Desk cobrada à parte, com desconto.",
    },
    {
        "name": "Essencial",
        "rank": 20,
        "includes_field_desk": False,
        "field_desk_discount_percent": 20,  # demo figure: the seed keeps its own table
        "description": "Suporte remoto em horário comercial. Field Desk cobrado à parte.",
    },
    {
        "name": "Básico",
        "rank": 10,
        "includes_field_desk": False,
        "field_desk_discount_percent": 10,  # demo figure: the seed keeps its own table
        "description": "Suporte remoto por chat e e-mail. Field Desk cobrado à parte.",
    },
)

FIELD_DESK_PLANS = frozenset(p["name"] for p in PLANS if p["includes_field_desk"])

QUEUES: tuple[tuple[str, str], ...] = (
    ("Suporte N1", "Primeiro atendimento técnico: chat, telefone, WhatsApp e e-mail."),
    ("Prime - Especialistas", "Fila exclusiva dos clientes Prime (#prime no chat)."),
    ("Financeiro", "Boletos, PIX, inadimplência e desbloqueio do sistema."),
    ("Clientes", "Retenção, cancelamentos, mudanças de plano e novos clientes."),
    ("Field Desk", "Visitas técnicas presenciais: hardware, rede, PDV e periféricos."),
    ("Special Service", "Clientes chave: franqueadoras e redes acima de 15 lojas."),
)

# name, e-mail, role, queues
STAFF: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Adriano Dória", ADMIN_EMAIL, "admin", ()),
    ("Fernanda Lima", "fernanda.lima@solis.example", "supervisor", ()),
    ("Bruno Carvalho", "bruno.carvalho@solis.example", "agent", ("Suporte N1",)),
    ("Juliana Souza", "juliana.souza@solis.example", "agent", ("Suporte N1",)),
    (
        "Rafael Oliveira",
        "rafael.oliveira@solis.example",
        "agent",
        ("Prime - Especialistas", "Suporte N1"),
    ),
    ("Camila Rocha", "camila.rocha@solis.example", "agent", ("Financeiro",)),
    ("Marcos Pereira", "marcos.pereira@solis.example", "agent", ("Clientes", "Financeiro")),
    ("Thiago Santos", "thiago.santos@solis.example", "agent", ("Field Desk",)),
    ("Patrícia Alves", "patricia.alves@solis.example", "agent", ("Special Service",)),
    (
        "Lucas Ferreira",
        "lucas.ferreira@solis.example",
        "agent",
        ("Special Service", "Prime - Especialistas"),
    ),
)


# --- organizations ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    name: str
    slug: str
    plan: str
    ddd: str
    stores: int = 1
    key_account: bool = False
    delinquent: str = ""  # "" | "blocked" (overdue 7+ days) | "grace" (overdue, not blocked)
    notes: str = ""


@dataclass(frozen=True)
class Story:
    """One kind of support case: what the customer writes and how the team answers."""

    cases: tuple[tuple[str, str], ...]  # (subject, first message)
    type: str
    tags: tuple[str, ...]
    reply: str  # first agent answer
    solution: str  # resolution notice
    queue: str | None = None  # None: routed by the customer's account (N1 / Prime / Special)
    priorities: tuple[str, ...] = ("normal",)
    question: str = "Pode me enviar um print da tela com a mensagem, por favor?"
    forward: str = ""  # internal note when waiting on another department
    weight: int = 3
    for_delinquent: bool = False
    non_customer: bool = False
    field_desk: str = ""  # "included": only plans with Field Desk; "paid": only plans without
    key_accounts_only: bool = False


ORGANIZATIONS: tuple[OrgSpec, ...] = (
    OrgSpec(
        "Moda Bella Franquias S.A.",
        "modabella",
        "Prime",
        "11",
        58,
        True,
        notes="Franqueadora. Ponto focal treinado como analista N1.",
    ),
    OrgSpec(
        "Calçados Passo Firme Ltda",
        "passofirme",
        "Premium",
        "51",
        32,
        True,
        notes="Rede com 32 lojas no Sul. Reunião mensal de resultados com o Special Service.",
    ),
    OrgSpec(
        "Eletro Center Magazine Ltda",
        "eletrocenter",
        "Prime",
        "31",
        41,
        True,
        notes="Cliente chave. Integração com e-commerce e TEF em todas as lojas.",
    ),
    OrgSpec(
        "Rede Farmavida Drogarias Ltda",
        "farmavida",
        "Premium",
        "41",
        24,
        True,
        notes="Franqueadora de farmácias. Contato preferencial por Teams.",
    ),
    OrgSpec(
        "Conveniência Posto Estrela Ltda",
        "postoestrela",
        "Plus",
        "62",
        17,
        True,
        delinquent="grace",
        notes="Lojas de conveniência em postos. Mensalidade do mês em aberto.",
    ),
    OrgSpec("Supermercado Bom Preço Ltda", "bompreco", "Prime", "81", 3),
    OrgSpec("Padaria Pão de Ouro Ltda", "paodeouro", "Básico", "11"),
    OrgSpec("Auto Peças Rodovia Ltda", "autopecasrodovia", "Prime", "19", 2),
    OrgSpec("Pet Shop Amigo Fiel Ltda", "amigofiel", "Essencial", "21"),
    OrgSpec("Ótica Visão Clara Ltda", "visaoclara", "Prime", "71", 2),
    OrgSpec(
        "Materiais de Construção Alicerce Ltda",
        "alicerce",
        "Premium",
        "85",
        4,
        delinquent="blocked",
        notes="Sistema bloqueado por pendência financeira.",
    ),
    OrgSpec("Restaurante Sabor Mineiro Ltda", "sabormineiro", "Plus", "31"),
    OrgSpec("Livraria Página Nova Ltda", "paginanova", "Básico", "48"),
    OrgSpec("Empório Grão de Ouro Ltda", "graodeouro", "Essencial", "61"),
    OrgSpec(
        "Açougue Boi Nobre Ltda",
        "boinobre",
        "Básico",
        "27",
        delinquent="blocked",
        notes="Inadimplente; sistema bloqueado desde o sétimo dia após o vencimento.",
    ),
    OrgSpec("Papelaria Ponto Certo Ltda", "pontocerto", "Light", "91"),
    OrgSpec("Hortifruti Terra Viva Ltda", "terraviva", "Plus", "92", 2),
    OrgSpec("Brinquedos Pirlimpimpim Ltda", "pirlimpimpim", "Light", "21"),
    OrgSpec("Café Colonial Serra Gaúcha Ltda", "serragaucha", "Plus", "54"),
    OrgSpec(
        "Distribuidora Norte Sul Ltda",
        "nortesul",
        "Prime",
        "85",
        3,
        delinquent="grace",
    ),
)

FIRST_NAMES = (
    "Ana", "Beatriz", "Carla", "Daniela", "Eduarda", "Fabiana", "Gabriela", "Helena", "Isabela",
    "Jéssica", "Larissa", "Mariana", "Natália", "Priscila", "Renata", "Sabrina", "Tatiane",
    "Vanessa", "André", "Carlos", "Diego", "Eduardo", "Felipe", "Gustavo", "Henrique", "Igor",
    "João", "Leandro", "Márcio", "Paulo", "Ricardo", "Rodrigo", "Sérgio", "Vinícius", "Wagner",
    "Luiz", "Antônio", "Francisco", "Raimundo", "Sebastião",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Teixeira", "Araújo", "Cavalcanti", "Monteiro",
)  # fmt: skip
