"""The reply check's lists as data: their names and shapes, the Portuguese defaults (seeded by
migration 0014), folding (case and accents away), and the validation of an admin's edit.

The check that uses them: `atende.domain.replycheck` (docs/reply-check.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from atende.domain.errors import ValidationFailed

ListName = Literal["promises", "deadlines", "departments", "closing_questions", "auxiliaries"]
LIST_NAMES: Final[tuple[ListName, ...]] = (
    "promises",
    "deadlines",
    "departments",
    "closing_questions",
    "auxiliaries",
)
MAX_BODY: Final = 200_000  # characters: the longest message body (tickets.schemas.Body)
MAX_ITEMS: Final = 300
MAX_PHRASE: Final = 120
MAX_SUGGESTION: Final = 300
NUMBER_SLOT: Final = "{n}"
TRAILING_PUNCTUATION: Final = "?!.…;:, "  # ignored at the end of a closing question


@dataclass(frozen=True)
class Phrase:
    """One item of a list: the phrase and, for ``promises``, the suggestion shown with it."""

    phrase: str
    suggestion: str = ""


@dataclass(frozen=True)
class Lists:
    promises: tuple[Phrase, ...]
    deadlines: tuple[Phrase, ...]
    departments: tuple[Phrase, ...]
    closing_questions: tuple[Phrase, ...]
    auxiliaries: tuple[Phrase, ...]

    def get(self, name: ListName) -> tuple[Phrase, ...]:
        items: tuple[Phrase, ...] = getattr(self, name)
        return items

    def replaced(self, name: ListName, items: Sequence[Phrase]) -> Lists:
        values = {n: self.get(n) for n in LIST_NAMES}
        values[name] = tuple(items)
        return Lists(**values)


# --- the defaults (seeded by migration 0014; used when a list's row is missing) ----------------

_NO_DEADLINE = "Evite prometer prazo: “Assim que eu tiver uma posição, retorno para você.”"
_NO_EXACT_TIME = (
    "Evite prazo exato: dê uma previsão sem prometer, por exemplo “a previsão é de algumas "
    "horas, e mantenho você informado”."
)
_NO_GUARANTEE = (
    "Evite garantir o que não depende só de você: “Vou fazer o possível para resolver o quanto "
    "antes e mantenho você informado.”"
)
DEPARTMENT_SUGGESTION: Final = (
    "Não se comprometa com prazos de outro setor: “Encaminhei ao setor responsável e vou "
    "acompanhar até a resolução; assim que tiver o retorno, aviso você.”"
)


def _phrases(*texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase(t) for t in texts)


DEFAULT_LISTS: Final = Lists(
    promises=(
        *(
            Phrase(p, _NO_DEADLINE)
            for p in (
                "até amanhã",
                "ainda hoje",
                "hoje mesmo",
                "hoje sem falta",
                "amanhã sem falta",
                "até o fim do dia",
                "até o final do dia",
                "até o fim da tarde",
                "até o fim da semana",
                "até o final da semana",
                "até segunda-feira",
                "até sexta-feira",
            )
        ),
        *(
            Phrase(p, _NO_EXACT_TIME)
            for p in (
                "em {n} horas",
                "em {n} hora",
                "em {n}h",
                "em até {n} horas",
                "em até {n}h",
                "dentro de {n} horas",
                "em {n} minutos",
                "em {n} dias",
                "em {n} dias úteis",
            )
        ),
        *(
            Phrase(p, _NO_GUARANTEE)
            for p in (
                "garanto que",
                "garantimos que",
                "eu garanto",
                "te garanto",
                "lhe garanto",
                "pode ter certeza que",
                "pode ficar tranquilo que amanhã",
                "com certeza amanhã",
                "com certeza hoje",
                "prometo",
                "prometemos",
                "eu prometo",
            )
        ),
    ),
    deadlines=_phrases(
        "hoje",
        "amanhã",
        "amanhã cedo",
        "ainda hoje",
        "hoje mesmo",
        "até amanhã",
        "até o fim do dia",
        "esta semana",
        "nesta semana",
        "essa semana",
        "nessa semana",
        "semana que vem",
        "na próxima semana",
        "até segunda-feira",
        "até sexta-feira",
        "no próximo dia útil",
        "em {n} horas",
        "em {n} hora",
        "em {n}h",
        "em {n} minutos",
        "em {n} dias",
        "em {n} dias úteis",
    ),
    departments=_phrases(
        "financeiro",
        "setor financeiro",
        "time financeiro",
        "equipe financeira",
        "cobrança",
        "desenvolvimento",
        "time de desenvolvimento",
        "equipe de desenvolvimento",
        "programadores",
        "implantação",
        "equipe de implantação",
        "setor comercial",
        "equipe comercial",
        "field desk",
        "o técnico",
        "nosso técnico",
        "equipe técnica",
        "setor responsável",
        "fiscal",
        "suporte n2",
        "time de produto",
    ),
    closing_questions=_phrases(
        "ficou alguma dúvida",
        "ficou com alguma dúvida",
        "restou alguma dúvida",
        "ficou alguma pendência",
        "tem mais alguma dúvida",
        "tem alguma dúvida",
        "tem alguma outra dúvida",
        "ainda tem alguma dúvida",
        "alguma dúvida",
        "mais alguma dúvida",
        "alguma outra dúvida",
        "ficou claro",
        "posso ajudar em algo mais",
        "posso te ajudar em algo mais",
        "posso lhe ajudar em algo mais",
        "posso ajudar em mais alguma coisa",
        "posso ajudar com mais alguma coisa",
        "posso ajudar em mais algo",
        "algo mais em que eu possa ajudar",
        "mais alguma coisa em que eu possa ajudar",
        "precisa de mais alguma coisa",
        "precisa de algo mais",
    ),
    auxiliaries=_phrases(
        # ir
        "vou",
        "vai",
        "vais",
        "vamos",
        "vão",
        "ia",
        "iam",
        "íamos",
        "irei",
        "irá",
        "iremos",
        "irão",
        "iria",
        "iriam",
        "iríamos",
        # poder
        "posso",
        "pode",
        "podes",
        "podemos",
        "podem",
        "poderei",
        "poderá",
        "poderemos",
        "poderão",
        "poderia",
        "poderiam",
        "poderíamos",
        # dever
        "devo",
        "deve",
        "devemos",
        "devem",
        "deverei",
        "deverá",
        "deveremos",
        "deverão",
        "deveria",
        "deveriam",
        "deveríamos",
        # querer
        "quero",
        "quer",
        "queremos",
        "querem",
        "queria",
        "queriam",
        "queríamos",
    ),
)


# --- folding: case and accents away, offsets kept ------------------------------------------------


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    kept = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return kept.lower()


def fold(text: str) -> str:
    """Lower case without accents (``"Até AMANHÃ"`` -> ``"ate amanha"``)."""
    return "".join(fold_char(c) for c in text)


# --- validating an edit of a list ---------------------------------------------------------


def validate_items(name: str, items: Sequence[Mapping[str, object]]) -> tuple[Phrase, ...]:
    """The items of list ``name`` as given by an admin, checked; `ValidationFailed` names the
    field at fault (``items[3].phrase``)."""
    if name not in LIST_NAMES:
        raise ValidationFailed(
            "lista desconhecida {name!r}; as listas são: {list_names}",
            field="name",
            name=name,
            list_names=", ".join(LIST_NAMES),
        )
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(
            "no máximo {max_items} itens por lista", field="items", max_items=MAX_ITEMS
        )
    out: list[Phrase] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        field = f"items[{i}]"
        phrase = item.get("phrase")
        suggestion = item.get("suggestion") or ""
        if not isinstance(phrase, str) or not isinstance(suggestion, str):
            raise ValidationFailed("frase e sugestão são textos", field=f"{field}.phrase")
        phrase = " ".join(phrase.split())
        suggestion = " ".join(suggestion.split())
        if not phrase or len(phrase) > MAX_PHRASE:
            raise ValidationFailed(
                "a frase deve ter de 1 a {max_phrase} caracteres",
                field=f"{field}.phrase",
                max_phrase=MAX_PHRASE,
            )
        if any(unicodedata.category(c) == "Cc" for c in phrase + suggestion):
            raise ValidationFailed(
                "caracteres de controle não são aceitos", field=f"{field}.phrase"
            )
        if not any(c.isalpha() for c in phrase.replace(NUMBER_SLOT, "")):
            raise ValidationFailed("a frase precisa ter alguma letra", field=f"{field}.phrase")
        without_slot = phrase.replace(NUMBER_SLOT, "")
        if "{" in without_slot or "}" in without_slot:
            raise ValidationFailed("entre chaves só vale {n} (um número)", field=f"{field}.phrase")
        if NUMBER_SLOT in phrase and name not in ("promises", "deadlines"):
            raise ValidationFailed(
                "{n} só vale nas listas promises e deadlines", field=f"{field}.phrase"
            )
        if name == "auxiliaries" and len(phrase.split()) != 1:
            raise ValidationFailed(
                "um auxiliar é uma só palavra (vou, pode, deve...)", field=f"{field}.phrase"
            )
        if name == "promises":
            if not suggestion or len(suggestion) > MAX_SUGGESTION:
                raise ValidationFailed(
                    "cada promessa precisa de uma sugestão de 1 a {max_suggestion} caracteres",
                    field=f"{field}.suggestion",
                    max_suggestion=MAX_SUGGESTION,
                )
        elif suggestion:
            raise ValidationFailed("só a lista promises tem sugestões", field=f"{field}.suggestion")
        key = _key(phrase, closing=name == "closing_questions")
        if key in seen:
            raise ValidationFailed(
                "a frase repete o item {seen} (maiúsculas e acentos não contam)",
                field=f"{field}.phrase",
                seen=seen[key],
            )
        seen[key] = i
        out.append(Phrase(phrase, suggestion))
    return tuple(out)


def _key(phrase: str, *, closing: bool) -> str:
    """What makes two phrases the same: case, accents and blanks aside (and, for a closing
    question, its final punctuation)."""
    text = " ".join(fold(phrase).split())
    return text.rstrip(TRAILING_PUNCTUATION).lstrip("¿¡ ") if closing else text
