"""The reply check (#16): its admin-editable lists, seeded in Portuguese, the record of their
changes, and the findings kept with each public reply an agent sends (docs/reply-check.md).

The seed is a copy of ``atende.domain.replycheck_lists.DEFAULT_LISTS`` as of this revision (a
migration never imports application code that may change after it).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels = None
depends_on = None

_S0 = "Evite prometer prazo: “Assim que eu tiver uma posição, retorno para você.”"
_S1 = (
    "Evite prazo exato: dê uma previsão sem prometer, por exemplo “a previsão é de algumas "
    "horas, e mantenho você informado”."
)
_S2 = (
    "Evite garantir o que não depende só de você: “Vou fazer o possível para resolver o quanto "
    "antes e mantenho você informado.”"
)

DEFAULTS: dict[str, list[dict[str, str]]] = {
    "promises": [
        {"phrase": "até amanhã", "suggestion": _S0},
        {"phrase": "ainda hoje", "suggestion": _S0},
        {"phrase": "hoje mesmo", "suggestion": _S0},
        {"phrase": "hoje sem falta", "suggestion": _S0},
        {"phrase": "amanhã sem falta", "suggestion": _S0},
        {"phrase": "até o fim do dia", "suggestion": _S0},
        {"phrase": "até o final do dia", "suggestion": _S0},
        {"phrase": "até o fim da tarde", "suggestion": _S0},
        {"phrase": "até o fim da semana", "suggestion": _S0},
        {"phrase": "até o final da semana", "suggestion": _S0},
        {"phrase": "até segunda-feira", "suggestion": _S0},
        {"phrase": "até sexta-feira", "suggestion": _S0},
        {"phrase": "em {n} horas", "suggestion": _S1},
        {"phrase": "em {n} hora", "suggestion": _S1},
        {"phrase": "em {n}h", "suggestion": _S1},
        {"phrase": "em até {n} horas", "suggestion": _S1},
        {"phrase": "em até {n}h", "suggestion": _S1},
        {"phrase": "dentro de {n} horas", "suggestion": _S1},
        {"phrase": "em {n} minutos", "suggestion": _S1},
        {"phrase": "em {n} dias", "suggestion": _S1},
        {"phrase": "em {n} dias úteis", "suggestion": _S1},
        {"phrase": "garanto que", "suggestion": _S2},
        {"phrase": "garantimos que", "suggestion": _S2},
        {"phrase": "eu garanto", "suggestion": _S2},
        {"phrase": "te garanto", "suggestion": _S2},
        {"phrase": "lhe garanto", "suggestion": _S2},
        {"phrase": "pode ter certeza que", "suggestion": _S2},
        {"phrase": "pode ficar tranquilo que amanhã", "suggestion": _S2},
        {"phrase": "com certeza amanhã", "suggestion": _S2},
        {"phrase": "com certeza hoje", "suggestion": _S2},
        {"phrase": "prometo", "suggestion": _S2},
        {"phrase": "prometemos", "suggestion": _S2},
        {"phrase": "eu prometo", "suggestion": _S2},
    ],
    "deadlines": [
        {"phrase": "hoje", "suggestion": ""},
        {"phrase": "amanhã", "suggestion": ""},
        {"phrase": "amanhã cedo", "suggestion": ""},
        {"phrase": "ainda hoje", "suggestion": ""},
        {"phrase": "hoje mesmo", "suggestion": ""},
        {"phrase": "até amanhã", "suggestion": ""},
        {"phrase": "até o fim do dia", "suggestion": ""},
        {"phrase": "esta semana", "suggestion": ""},
        {"phrase": "nesta semana", "suggestion": ""},
        {"phrase": "essa semana", "suggestion": ""},
        {"phrase": "nessa semana", "suggestion": ""},
        {"phrase": "semana que vem", "suggestion": ""},
        {"phrase": "na próxima semana", "suggestion": ""},
        {"phrase": "até segunda-feira", "suggestion": ""},
        {"phrase": "até sexta-feira", "suggestion": ""},
        {"phrase": "no próximo dia útil", "suggestion": ""},
        {"phrase": "em {n} horas", "suggestion": ""},
        {"phrase": "em {n} hora", "suggestion": ""},
        {"phrase": "em {n}h", "suggestion": ""},
        {"phrase": "em {n} minutos", "suggestion": ""},
        {"phrase": "em {n} dias", "suggestion": ""},
        {"phrase": "em {n} dias úteis", "suggestion": ""},
    ],
    "departments": [
        {"phrase": "financeiro", "suggestion": ""},
        {"phrase": "setor financeiro", "suggestion": ""},
        {"phrase": "time financeiro", "suggestion": ""},
        {"phrase": "equipe financeira", "suggestion": ""},
        {"phrase": "cobrança", "suggestion": ""},
        {"phrase": "desenvolvimento", "suggestion": ""},
        {"phrase": "time de desenvolvimento", "suggestion": ""},
        {"phrase": "equipe de desenvolvimento", "suggestion": ""},
        {"phrase": "programadores", "suggestion": ""},
        {"phrase": "implantação", "suggestion": ""},
        {"phrase": "equipe de implantação", "suggestion": ""},
        {"phrase": "setor comercial", "suggestion": ""},
        {"phrase": "equipe comercial", "suggestion": ""},
        {"phrase": "field desk", "suggestion": ""},
        {"phrase": "o técnico", "suggestion": ""},
        {"phrase": "nosso técnico", "suggestion": ""},
        {"phrase": "equipe técnica", "suggestion": ""},
        {"phrase": "setor responsável", "suggestion": ""},
        {"phrase": "fiscal", "suggestion": ""},
        {"phrase": "suporte n2", "suggestion": ""},
        {"phrase": "time de produto", "suggestion": ""},
    ],
    "closing_questions": [
        {"phrase": "ficou alguma dúvida", "suggestion": ""},
        {"phrase": "ficou com alguma dúvida", "suggestion": ""},
        {"phrase": "restou alguma dúvida", "suggestion": ""},
        {"phrase": "ficou alguma pendência", "suggestion": ""},
        {"phrase": "tem mais alguma dúvida", "suggestion": ""},
        {"phrase": "tem alguma dúvida", "suggestion": ""},
        {"phrase": "tem alguma outra dúvida", "suggestion": ""},
        {"phrase": "ainda tem alguma dúvida", "suggestion": ""},
        {"phrase": "alguma dúvida", "suggestion": ""},
        {"phrase": "mais alguma dúvida", "suggestion": ""},
        {"phrase": "alguma outra dúvida", "suggestion": ""},
        {"phrase": "ficou claro", "suggestion": ""},
        {"phrase": "posso ajudar em algo mais", "suggestion": ""},
        {"phrase": "posso te ajudar em algo mais", "suggestion": ""},
        {"phrase": "posso lhe ajudar em algo mais", "suggestion": ""},
        {"phrase": "posso ajudar em mais alguma coisa", "suggestion": ""},
        {"phrase": "posso ajudar com mais alguma coisa", "suggestion": ""},
        {"phrase": "posso ajudar em mais algo", "suggestion": ""},
        {"phrase": "algo mais em que eu possa ajudar", "suggestion": ""},
        {"phrase": "mais alguma coisa em que eu possa ajudar", "suggestion": ""},
        {"phrase": "precisa de mais alguma coisa", "suggestion": ""},
        {"phrase": "precisa de algo mais", "suggestion": ""},
    ],
    "auxiliaries": [
        {"phrase": "vou", "suggestion": ""},
        {"phrase": "vai", "suggestion": ""},
        {"phrase": "vais", "suggestion": ""},
        {"phrase": "vamos", "suggestion": ""},
        {"phrase": "vão", "suggestion": ""},
        {"phrase": "ia", "suggestion": ""},
        {"phrase": "iam", "suggestion": ""},
        {"phrase": "íamos", "suggestion": ""},
        {"phrase": "irei", "suggestion": ""},
        {"phrase": "irá", "suggestion": ""},
        {"phrase": "iremos", "suggestion": ""},
        {"phrase": "irão", "suggestion": ""},
        {"phrase": "iria", "suggestion": ""},
        {"phrase": "iriam", "suggestion": ""},
        {"phrase": "iríamos", "suggestion": ""},
        {"phrase": "posso", "suggestion": ""},
        {"phrase": "pode", "suggestion": ""},
        {"phrase": "podes", "suggestion": ""},
        {"phrase": "podemos", "suggestion": ""},
        {"phrase": "podem", "suggestion": ""},
        {"phrase": "poderei", "suggestion": ""},
        {"phrase": "poderá", "suggestion": ""},
        {"phrase": "poderemos", "suggestion": ""},
        {"phrase": "poderão", "suggestion": ""},
        {"phrase": "poderia", "suggestion": ""},
        {"phrase": "poderiam", "suggestion": ""},
        {"phrase": "poderíamos", "suggestion": ""},
        {"phrase": "devo", "suggestion": ""},
        {"phrase": "deve", "suggestion": ""},
        {"phrase": "devemos", "suggestion": ""},
        {"phrase": "devem", "suggestion": ""},
        {"phrase": "deverei", "suggestion": ""},
        {"phrase": "deverá", "suggestion": ""},
        {"phrase": "deveremos", "suggestion": ""},
        {"phrase": "deverão", "suggestion": ""},
        {"phrase": "deveria", "suggestion": ""},
        {"phrase": "deveriam", "suggestion": ""},
        {"phrase": "deveríamos", "suggestion": ""},
        {"phrase": "quero", "suggestion": ""},
        {"phrase": "quer", "suggestion": ""},
        {"phrase": "queremos", "suggestion": ""},
        {"phrase": "querem", "suggestion": ""},
        {"phrase": "queria", "suggestion": ""},
        {"phrase": "queriam", "suggestion": ""},
        {"phrase": "queríamos", "suggestion": ""},
    ],
}


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    lists = op.create_table(
        "reply_check_lists",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_user_id", big_id, nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"],
            ["users.id"],
            name=op.f("fk_reply_check_lists_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reply_check_lists")),
    )
    op.create_table(
        "reply_check_list_changes",
        sa.Column("id", big_id, autoincrement=True, nullable=False),
        sa.Column("list_name", sa.String(length=40), nullable=False),
        sa.Column("actor_user_id", big_id, nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_reply_check_list_changes_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_check_list_changes")),
    )
    op.create_index(
        "ix_reply_check_list_changes_list", "reply_check_list_changes", ["list_name", "id"]
    )
    op.bulk_insert(lists, [{"name": name, "items": items} for name, items in DEFAULTS.items()])
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("reply_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("reply_check")
    op.drop_index("ix_reply_check_list_changes_list", table_name="reply_check_list_changes")
    op.drop_table("reply_check_list_changes")
    op.drop_table("reply_check_lists")
