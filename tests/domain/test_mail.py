"""The e-mail text rules (atende.domain.mail): subjects, the ticket tag, quoted text and
automatic mail; the normaliser and the quote stripper against plain references."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atende.domain import mail

PREFIXES = [
    "RE: ", "Re: ", "RES: ", "Res:", "ENC: ", "Enc: ", "FW: ", "Fwd: ", "FWD:",
    "Resposta automática: ", "Automatic reply: ", "Re[2]: ", "[EXTERNO] ", "TR: ",
]  # fmt: skip

# words that are never a prefix themselves
_WORD = st.text(alphabet="abcdeghijklmnopqstuvxyzçãéõ0123456789", min_size=1, max_size=8).filter(
    lambda w: w.lower() not in {"re", "res", "enc", "fw", "fwd", "tr", "aw", "wg", "rv", "sv"}
)
_SUBJECT = st.lists(_WORD, min_size=1, max_size=6).map(" ".join)


def reference_normalise(subject: str, prefixes: list[str]) -> str:
    """What the normaliser must give for prefixes stacked on a plain subject: the subject."""
    return subject


@settings(max_examples=300, deadline=None)
@given(subject=_SUBJECT, prefixes=st.lists(st.sampled_from(PREFIXES), max_size=5),
       number=st.integers(min_value=1, max_value=10**9))  # fmt: skip
def test_prefixes_and_tags_are_stripped_in_any_order(
    subject: str, prefixes: list[str], number: int
) -> None:
    stacked = "".join(prefixes) + f"[#{number}] " + subject
    assert mail.normalise_subject(stacked) == reference_normalise(subject, prefixes)
    assert mail.ticket_tag(stacked) == number


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_the_normaliser_is_idempotent_and_gives_one_line(text: str) -> None:
    once = mail.normalise_subject(text)
    assert mail.normalise_subject(once) == once
    assert not any(ord(c) < 32 for c in once)
    assert not any(ord(c) < 32 for c in mail.reply_subject(text, 7))


def test_a_hidden_line_break_never_survives() -> None:
    assert mail.reply_subject("x\r\nBcc: v@e.net", 12) == "Re: [#12] x Bcc: v@e.net"


QUOTES = [
    "Em seg., 1 de dez. de 2026 às 10:00, Suporte <s@x.example> escreveu:\n> antes\n> mais",
    "Em seg., 1 de dez. de 2026 às 10:00, Suporte Solis\n<s@x.example> escreveu:\n> antes",
    "-----Mensagem original-----\nDe: Suporte\nEnviado: hoje\nPara: mim\nAssunto: x\n\nantes",
    "________________________________\nDe: Suporte <s@x.example>\nEnviado: terça-feira\n"
    "Para: Carlos\nAssunto: Caixa\n\nantes",
    "De: Suporte <s@x.example>\nEnviado: terça-feira, 2 de dezembro\nPara: Carlos\n\nantes",
    "Enviado do meu iPhone",
    "Enviado do meu smartphone Samsung Galaxy",
    "Obter o Outlook para Android",
    "-- \nJoana Silva\nGerente | Padaria A",
    "On Mon, Dec 1, 2026 at 10:00 AM Support <s@x.example> wrote:\n> before",
]
_LINE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz áéç.,!?0123456789", min_size=1, max_size=40)
_NEW_TEXT = st.lists(_LINE.filter(lambda s: s.strip()), min_size=1, max_size=5).map("\n".join)


def reference_strip(new_text: str) -> str:
    """The plain reference: the customer's new text, as they wrote it above the quote."""
    return new_text.strip()


@settings(max_examples=300, deadline=None)
@given(new_text=_NEW_TEXT, quote=st.sampled_from(QUOTES), blank=st.sampled_from(["\n", "\n\n"]))
def test_the_quote_or_signature_below_new_text_is_cut(
    new_text: str, quote: str, blank: str
) -> None:
    assert mail.strip_quoted(new_text + blank + quote) == reference_strip(new_text)


@pytest.mark.parametrize("quote", QUOTES)
def test_a_message_that_is_only_a_quote_is_kept_whole(quote: str) -> None:
    assert mail.strip_quoted(quote) == quote.strip()


def test_inline_answers_above_the_quote_header_are_kept() -> None:
    text = "Resposta 1: sim\nResposta 2: não\n\nDe: fulano\nsem bloco de cabeçalho"
    assert mail.strip_quoted(text) == text  # "De:" without Enviado/Para below is content


@pytest.mark.parametrize(
    ("headers", "content_type", "sender", "reason", "bounce"),
    [
        ({"auto-submitted": "auto-replied"}, "text/plain", "a@x",
         "Auto-Submitted: auto-replied", False),
        ({"auto-submitted": "no"}, "text/plain", "a@x", None, False),
        ({"precedence": "Bulk"}, "text/plain", "a@x", "Precedence: bulk", False),
        ({"x-failed-recipients": "b@y"}, "text/plain", "a@x",
         "delivery status report (bounce)", True),
        ({}, "multipart/report", "a@x", "delivery status report (bounce)", True),
        ({}, "text/plain", "MAILER-DAEMON@x", "sent by mailer-daemon", True),
        ({"list-unsubscribe": "<mailto:u@x>"}, "text/plain", "a@x", "mailing list", False),
        ({"message-id": "<atende.t1.m1.abc@atende.example>"}, "text/plain", "a@x",
         "our own Message-ID", False),
        ({}, "text/plain", "a@x", None, False),
    ],
)  # fmt: skip
def test_automatic_mail_is_recognised(
    headers: dict[str, str], content_type: str, sender: str, reason: str | None, bounce: bool
) -> None:
    found = mail.automatic(
        headers, content_type=content_type, sender=sender, own_domain="atende.example"
    )
    if reason is None:
        assert found is None
    else:
        assert found == mail.Automatic(reason, bounce=bounce)


def test_message_ids_are_read_in_order_once() -> None:
    assert mail.message_ids("<a@x> junk <b@y>\r\n <a@x>") == ["<a@x>", "<b@y>"]
    assert mail.message_ids(None) == []
