"""The survey e-mails, in Portuguese: one link per score, each only pre-selecting it on the
survey page (the customer confirms there: a link scanner that follows every link records
nothing)."""

from __future__ import annotations

from html import escape
from typing import Any

CSAT_LABELS = {1: "Péssimo", 2: "Ruim", 3: "Regular", 4: "Bom", 5: "Ótimo"}


def survey_url(public_url: str, token: str, score: int | None = None) -> str:
    base = f"{public_url.rstrip('/')}/pesquisa/{token}"
    return base if score is None else f"{base}?nota={score}"


def message(
    *,
    kind: str,
    to: str,
    name: str,
    public_url: str,
    token: str,
    ticket_number: int | None,
    ticket_subject: str | None,
    expires_days: int,
    reminder: bool = False,
) -> dict[str, Any]:
    """The ``notify.email`` payload of one survey (or its reminder)."""
    greeting = f"Olá, {name}!" if name else "Olá!"
    if kind == "csat":
        question = f"Como foi o atendimento do chamado #{ticket_number} ({ticket_subject})?"
        subject = f"Como foi o atendimento do chamado #{ticket_number}?"
        scores = list(range(1, 6))
        scale = "Escolha uma nota de 1 (péssimo) a 5 (ótimo):"
    else:
        question = (
            "Em uma escala de 0 a 10, quanto você recomendaria nossa empresa a um amigo ou colega?"
        )
        subject = "Você nos recomendaria? Sua opinião em um clique"
        if ticket_number is not None:
            question = f"Depois do chamado #{ticket_number} ({ticket_subject}): {question}"
        scores = list(range(0, 11))
        scale = "Escolha uma nota de 0 (nada provável) a 10 (muito provável):"
    if reminder:
        subject = f"Lembrete: {subject}"
    lines = [greeting, "", question, scale, ""]
    for score in scores:
        label = f" ({CSAT_LABELS[score]})" if kind == "csat" else ""
        lines.append(f"  {score}{label}: {survey_url(public_url, token, score)}")
    lines += [
        "",
        "A nota escolhida só é registrada quando você confirmar na página, onde também pode "
        "deixar um comentário.",
        f"O link vale por {expires_days} dias e pode ser usado uma vez.",
        "",
        "Obrigado!",
    ]
    buttons = "".join(
        f'<a href="{escape(survey_url(public_url, token, s))}" style="display:inline-block;'
        f"min-width:2em;margin:0 4px 4px 0;padding:8px 10px;border:1px solid #1f5f8b;"
        f'border-radius:6px;color:#1f5f8b;text-decoration:none;text-align:center">{s}</a>'
        for s in scores
    )
    html = (
        f"<p>{escape(greeting)}</p><p><strong>{escape(question)}</strong></p>"
        f"<p>{escape(scale)}</p><p>{buttons}</p>"
        "<p>A nota escolhida só é registrada quando você confirmar na página, onde também pode "
        "deixar um comentário.</p>"
        f"<p>O link vale por {expires_days} dias e pode ser usado uma vez.</p><p>Obrigado!</p>"
    )
    return {"to": [to], "subject": subject, "text": "\n".join(lines), "html": html}
