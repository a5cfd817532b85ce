"""The reply check (atende.domain.replycheck): a corpus of real-looking support replies, right
and wrong, with their exact findings; properties of the offsets on any text; list validation."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain.errors import ValidationFailed
from atende.domain.replycheck import (
    DEFAULT_LISTS,
    DEPARTMENT_SUGGESTION,
    MAX_ITEMS,
    Checker,
    Lists,
    Phrase,
    check,
    validate_items,
)

Q = " Ficou alguma dúvida?"  # a correct closing, appended where the closing is not the point
G, P, C = "gerund", "promise", "closing_question"

# (reply, [(kind, phrase)]) — a closing_question finding is written (C, "")
CORPUS: list[tuple[str, list[tuple[str, str]]]] = [
    # --- gerundismo (seed 002: "Nunca use frases no gerúndio") ------------------------------
    ("Vou estar verificando o problema e retorno em seguida." + Q, [(G, "Vou estar verificando")]),
    ("Estarei passando para o fulano de tal." + Q, [(G, "Estarei passando")]),
    ("Vamos estar enviando a nota fiscal por e-mail." + Q, [(G, "Vamos estar enviando")]),
    ("O senhor pode estar recebendo uma ligação do nosso time." + Q,
     [(G, "pode estar recebendo")]),
    ("O boleto vai estar sendo gerado pelo sistema." + Q, [(G, "vai estar sendo")]),
    ("Amanhã estaremos instalando o certificado digital." + Q, [(G, "estaremos instalando")]),
    ("Eu vou estar te enviando o link de acesso." + Q, [(G, "vou estar te enviando")]),
    ("Estarei pessoalmente acompanhando o seu chamado." + Q,
     [(G, "Estarei pessoalmente acompanhando")]),
    ("A senhora deve estar recebendo o código por SMS." + Q, [(G, "deve estar recebendo")]),
    ("Você quer estar participando do treinamento de quinta?" + Q,
     [(G, "quer estar participando")]),
    ("Nossa equipe irá estar analisando os logs do servidor." + Q,
     [(G, "irá estar analisando")]),
    ("VOU ESTAR VERIFICANDO A CONFIGURAÇÃO DA IMPRESSORA." + Q,
     [(G, "VOU ESTAR VERIFICANDO")]),
    ("O técnico estará indo até a loja na parte da tarde." + Q, [(G, "estará indo")]),
    ("Vou estar conferindo o XML e já te retorno." + Q, [(G, "Vou estar conferindo")]),
    ("Poderia estar reiniciando o computador, por favor?" + Q,
     [(G, "Poderia estar reiniciando")]),
    ("Estaremos encaminhando a sua solicitação ao setor de cadastro." + Q,
     [(G, "Estaremos encaminhando")]),
    ("Vamos estar disponibilizando a atualização no portal." + Q,
     [(G, "Vamos estar disponibilizando")]),
    ("Não vou estar conseguindo acessar agora, mas retorno." + Q,
     [(G, "vou estar conseguindo")]),
    ("Vou ESTAR verificando." + Q, [(G, "Vou ESTAR verificando")]),
    ("Estará pondo o sistema no ar a equipe de implantação." + Q, [(G, "Estará pondo")]),
    # --- correct Portuguese: no gerund finding ------------------------------------------------
    ("Estou verificando agora." + Q, []),
    ("Estamos analisando seu caso com prioridade." + Q, []),
    ("Estou conferindo os dados do cadastro enquanto conversamos." + Q, []),
    ("O sistema está processando o arquivo de retorno bancário." + Q, []),
    ("Vou estar disponível no chat até as 18h." + Q, []),
    ("Amanhã vou estar no escritório e posso atendê-lo." + Q, []),
    ("Estarei de férias na próxima semana; a Ana ficará com seus chamados." + Q, []),
    ("O sistema precisa estar funcionando para emitir a nota." + Q, []),
    ("Vou verificar o problema e retorno." + Q, []),
    ("Verificarei a configuração da impressora fiscal." + Q, []),
    ("Quando estiver usando o PDV, feche as outras janelas." + Q, []),
    ("Vou estar quando puder na reunião." + Q, []),
    ("O arquivo está sendo gerado neste momento." + Q, []),
    ("Seguimos acompanhando o seu chamado de perto." + Q, []),
    ("Estávamos aguardando o seu retorno para continuar." + Q, []),
    ("Pode estar tranquilo: seus dados estão seguros." + Q, []),
    # --- firm promises (items 48-49 of seed 002) ---------------------------------------------
    ("Resolvemos isso até amanhã." + Q, [(P, "até amanhã")]),
    ("A correção será publicada em 2 horas." + Q, [(P, "em 2 horas")]),
    ("Envio o relatório hoje sem falta." + Q, [(P, "hoje sem falta")]),
    ("Garanto que não vai acontecer de novo." + Q, [(P, "Garanto que")]),
    ("Com certeza amanhã fica pronto." + Q, [(P, "Com certeza amanhã")]),
    ("Prometo que vou resolver." + Q, [(P, "Prometo")]),
    ("O acesso volta em duas horas." + Q, [(P, "em duas horas")]),
    ("Em até 24h o seu certificado estará instalado." + Q, [(P, "Em até 24h")]),
    ("Até o fim do dia te mando a planilha." + Q, [(P, "Até o fim do dia")]),
    ("Pode ter certeza que o sistema volta ainda hoje." + Q,
     [(P, "Pode ter certeza que"), (P, "ainda hoje")]),
    ("ATÉ AMANHA fica pronto." + Q, [(P, "ATÉ AMANHA")]),
    ("Te garanto que a integração fica pronta em 3 dias úteis." + Q,
     [(P, "Te garanto que"), (P, "em 3 dias úteis")]),
    # --- promises on another department's behalf ---------------------------------------------
    ("O financeiro vai liberar hoje o seu acesso." + Q, [(P, "O financeiro vai liberar hoje")]),
    ("O setor financeiro libera o desbloqueio amanhã." + Q,
     [(P, "O setor financeiro libera o desbloqueio amanhã")]),
    ("A equipe de desenvolvimento corrige esse bug na próxima semana." + Q,
     [(P, "A equipe de desenvolvimento corrige esse bug na próxima semana")]),
    ("O técnico vai até sua loja amanhã cedo." + Q,
     [(P, "O técnico vai até sua loja amanhã cedo")]),
    ("Nosso financeiro vai liberar até amanhã." + Q,
     [(P, "Nosso financeiro vai liberar até amanhã")]),
    ("A implantação vai configurar em 2 horas." + Q,
     [(P, "A implantação vai configurar em 2 horas")]),
    # --- no promise: past, possibility, no deadline, a deadline not given ----------------------
    ("O financeiro liberou hoje pela manhã o seu acesso." + Q, []),
    ("Falei com o financeiro hoje e eles vão analisar o caso." + Q, []),
    ("O financeiro poderia liberar hoje se o comprovante chegar." + Q, []),
    ("Encaminhei ao setor responsável e vou acompanhar até a resolução." + Q, []),
    ("Vou verificar com o setor responsável e, assim que tivermos uma resposta, darei um retorno."
     + Q, []),
    ("O atendimento Field Desk é feito dentro do horário comercial." + Q, []),
    ("Atendemos de segunda a sexta, das 8h30 às 18h." + Q, []),
    ("O prazo padrão do Field Desk é de 4h a 24h comerciais." + Q, []),
    ("A segunda via do boleto está no portal." + Q, []),
    ("Seu chamado foi aberto há 2 horas e já está com a equipe." + Q, []),
    # --- the closing question ----------------------------------------------------------------
    ("Pronto, o acesso foi liberado.", [(C, "")]),
    ("Pronto, o acesso foi liberado. Ficou alguma dúvida?", []),
    ("Pronto, o acesso foi liberado. ficou alguma duvida?", []),
    ("Pronto, o acesso foi liberado. FICOU ALGUMA DÚVIDA?", []),
    ("Pronto, o acesso foi liberado. Posso ajudar em algo mais?", []),
    ("Pronto, o acesso foi liberado. Tem mais alguma dúvida?", []),
    ("Pronto, o acesso foi liberado. Alguma dúvida?", []),
    ("Pronto, o acesso foi liberado. Ficou alguma dúvida sobre o procedimento?", []),
    ("Pronto, o acesso foi liberado. Ficou alguma dúvida", []),
    ("Pronto, o acesso foi liberado. Posso te ajudar em algo mais?  \n\n", []),
    ("Pronto, o acesso foi liberado.\n\nFicou alguma dúvida?\n\nAtenciosamente,\nAna Souza\n"
     "Suporte Solis Sistemas\n(21) 98016-8691", []),
    ("Ficou alguma dúvida? Fico no aguardo do seu retorno.", []),
    ("Segue o passo a passo.\nFicou alguma dúvida?\n\nEm 12/03/2026, Rui <rui@mercado.com.br> "
     "escreveu:\n> O sistema não abre.\n> Podem me ajudar?\n> Obrigado", []),
    ("Se ficou alguma dúvida, é só responder este e-mail.", [(C, "")]),
    ("Qualquer dúvida, estou à disposição.", [(C, "")]),
    ("Ficou alguma dúvida? Depois disso, abra o PDV, entre em Configurações, depois em "
     "Impressoras, escolha a fiscal, clique em Testar e confira se o cupom sai inteiro e "
     "legível; se não sair, reinicie a impressora e tente de novo.", [(C, "")]),
    ("Ficou alguma dúvida?\nLembrando:\n1. Abra o sistema\n2. Entre no cadastro\n"
     "3. Confira o CNPJ\n4. Salve\n5. Feche\n6. Abra de novo\n7. Teste", [(C, "")]),
    ("Ficou alguma dúvida? E o outro computador, já testou?", [(C, "")]),
    # --- everything at once ------------------------------------------------------------------
    ("Olá, Lia! Vou estar verificando o cadastro e o financeiro libera seu acesso hoje. "
     "Garanto que fica pronto.",
     [(G, "Vou estar verificando"), (P, "o financeiro libera seu acesso hoje"),
      (P, "Garanto que"), (C, "")]),
]  # fmt: skip


def _expected(body: str, expected: list[tuple[str, str]]) -> list[tuple[str, str, int, int]]:
    out = []
    for kind, phrase in expected:
        if kind == C:
            out.append((kind, phrase, len(body), len(body)))
        else:
            start = body.index(phrase)
            out.append((kind, phrase, start, start + len(phrase)))
    return out


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60
    assert sum(1 for _, e in CORPUS if not e) >= 25  # right replies: no false alarm


@pytest.mark.parametrize(("body", "expected"), CORPUS, ids=[b[:40] for b, _ in CORPUS])
def test_corpus(body: str, expected: list[tuple[str, str]]) -> None:
    found = [(f.kind, f.phrase, f.start, f.end) for f in check(body)]
    assert found == _expected(body, expected)


@pytest.mark.parametrize(
    "body",
    ["Estou verificando agora.", "Estamos analisando seu caso.", "Estou enviando o boleto.",
     "Estamos finalizando a configuração.", "Você está recebendo os e-mails?"],
)  # fmt: skip
def test_no_false_alarm_on_the_present_continuous(body: str) -> None:
    assert [f for f in check(body + Q)] == []


@pytest.mark.parametrize(
    ("body", "suggestion"),
    [
        ("Vou estar verificando.", "Vou verificar"),
        ("Estarei passando.", "Vou passar"),
        ("estaremos enviando", "vamos enviar"),
        ("Vão estar recebendo", "Vão receber"),
        ("pode estar recebendo", "pode receber"),
        ("vai estar sendo", "vai ser"),
        ("eu vou estar te enviando", "vou te enviar"),
        ("Estarei pessoalmente acompanhando", "Vou pessoalmente acompanhar"),
        ("estará pondo", "vai pôr"),
        ("vou estar compondo", "vou compor"),
        ("vamos estar indo", "vamos ir"),
        ("VOU ESTAR VERIFICANDO", "VOU VERIFICAR"),
        ("ESTAREI PASSANDO", "VOU PASSAR"),
    ],
)
def test_a_gerund_suggestion_is_a_drop_in_rewrite(body: str, suggestion: str) -> None:
    (finding,) = [f for f in check(body) if f.kind == "gerund"]
    assert finding.suggestion == suggestion


def test_promise_suggestions_come_from_the_list_and_departments_have_their_own() -> None:
    lists = DEFAULT_LISTS.replaced("promises", [Phrase("até amanhã", "Diga uma previsão.")])
    (promise,) = [f for f in check("Fica pronto até amanhã.", lists) if f.kind == "promise"]
    assert promise.suggestion == "Diga uma previsão."
    (dept,) = [f for f in check("O financeiro libera hoje.", lists) if f.kind == "promise"]
    assert dept.suggestion == DEPARTMENT_SUGGESTION
    (closing,) = [f for f in check("Pronto.", lists) if f.kind == "closing_question"]
    assert closing.suggestion == (
        "Termine a resposta perguntando se ficou alguma dúvida: “Ficou alguma dúvida?”"
    )


def test_edited_lists_change_what_is_found() -> None:
    lists = Lists(
        promises=(Phrase("em {n} semanas", "Evite prazo."),),
        deadlines=(Phrase("logo"),),
        departments=(Phrase("contabilidade"),),
        closing_questions=(Phrase("Deu certo?"),),
        auxiliaries=(Phrase("vou"),),
    )
    body = "Vou estar vendo. Pode estar certo. A contabilidade envia logo. Fica em três semanas."
    found = [(f.kind, f.phrase) for f in check(body, lists)]
    assert found == [
        ("gerund", "Vou estar vendo"),
        ("promise", "A contabilidade envia logo"),
        ("promise", "em três semanas"),
        ("closing_question", ""),
    ]
    assert [f.kind for f in check("Tudo pronto. Deu certo?", lists)] == []
    # no closing phrase at all: the closing check is off
    off = lists.replaced("closing_questions", [])
    assert check("Tudo pronto.", off) == []


def test_offsets_survive_decomposed_accents_and_wide_case_folds() -> None:
    body = "İ ate\u0301 amanha\u0303 vou estar verificando. ﬁcou alguma du\u0301vida?"
    found = check(body)
    assert [(f.kind, f.phrase) for f in found] == [
        ("promise", "ate\u0301 amanha\u0303"),
        ("gerund", "vou estar verificando"),
    ]
    for f in found:
        assert body[f.start : f.end] == f.phrase


def test_a_long_body_is_checked_quickly() -> None:
    import time

    body = ("alguma duvida " * 14_000)[:199_990] + "?"
    started = time.perf_counter()
    check(body)
    check("vou estar " * 20_000)
    check("o financeiro " * 15_000 + "hoje")
    assert time.perf_counter() - started < 5


# ------------------------------------------------------------------------------ properties

_SENTENCE_BITS = st.sampled_from(
    ["Vou estar verificando", "estou verificando", "até amanhã", "em 2 horas", "o financeiro",
     "vai liberar", "hoje", "Ficou alguma dúvida", "?", ".", "\n", " ", ",", "garanto que",
     "ESTAREI PASSANDO", "e\u0301", "ß", "İ", "ﬁ", "\u0301", ">", "escreveu:", "Atenciosamente"]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_SENTENCE_BITS, st.text(max_size=5)), max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_findings_are_valid_slices_of_any_text(body: str) -> None:
    found = check(body)
    for f in found:
        assert 0 <= f.start <= f.end <= len(body)
        assert body[f.start : f.end] == f.phrase
        assert f.suggestion
        if f.kind == "closing_question":
            assert f.start == f.end == len(body)
        else:
            assert f.end > f.start
    assert [f.kind for f in found].count("closing_question") <= 1
    assert all(f.kind != "closing_question" for f in found[:-1])
    promises = [(f.start, f.end) for f in found if f.kind == "promise"]
    assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(promises))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_case_and_accents_do_not_change_what_is_found(body: str) -> None:
    """An upper-case copy of a text finds the same kinds of findings (when upper-casing keeps
    every character one character long, so the copies align)."""
    upper = body.upper()
    if len(upper) != len(body):
        return
    assert [(f.kind, f.start) for f in check(body)] == [(f.kind, f.start) for f in check(upper)]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_a_closing_question_at_the_end_always_counts(before: str, sign: str) -> None:
    signature = "\n\nAtenciosamente,\nAna"
    body = before + "\n\nFicou alguma dúvida?" + signature
    assert "closing_question" not in [f.kind for f in check(body)]
    del sign


# ------------------------------------------------------------------------------ validation


def test_validation_names_the_item_at_fault() -> None:
    ok = validate_items("promises", [{"phrase": "  até   amanhã ", "suggestion": "Evite."}])
    assert ok == (Phrase("até amanhã", "Evite."),)
    cases = [
        ("promises", [{"phrase": "até amanhã"}], "items[0].suggestion"),
        ("deadlines", [{"phrase": "hoje", "suggestion": "x"}], "items[0].suggestion"),
        ("deadlines", [{"phrase": "hoje"}, {"phrase": "HOJE"}], "items[1].phrase"),
        ("closing_questions", [{"phrase": "Ficou claro"}, {"phrase": "ficou claro?"}],
         "items[1].phrase"),
        ("departments", [{"phrase": "   "}], "items[0].phrase"),
        ("departments", [{"phrase": "123"}], "items[0].phrase"),
        ("departments", [{"phrase": "em {n} dias"}], "items[0].phrase"),
        ("deadlines", [{"phrase": "em {x} dias"}], "items[0].phrase"),
        ("auxiliaries", [{"phrase": "vou já"}], "items[0].phrase"),
        ("auxiliaries", [{"phrase": "x" * 121}], "items[0].phrase"),
        ("deadlines", [{"phrase": "hoje\x07"}], "items[0].phrase"),
        ("deadlines", [{"phrase": "hoje"}] * (MAX_ITEMS + 1), "items"),
        ("colors", [], "name"),
    ]  # fmt: skip
    for name, items, field in cases:
        with pytest.raises(ValidationFailed) as err:
            validate_items(name, items)
        assert err.value.field == field, (name, items)


def test_the_defaults_are_valid_lists() -> None:
    for name in ("promises", "deadlines", "departments", "closing_questions", "auxiliaries"):
        items = DEFAULT_LISTS.get(name)  # type: ignore[arg-type]
        as_given = [{"phrase": p.phrase, "suggestion": p.suggestion} for p in items]
        assert validate_items(name, as_given) == items
    assert Checker(DEFAULT_LISTS).check("Ficou alguma dúvida?") == []
