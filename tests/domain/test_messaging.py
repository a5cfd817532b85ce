"""The 24-hour window, template parameters, long texts cut for the providers, and Brazilian
phone numbers in both forms (decision 0023), against plain references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atende.domain import messaging, phones

AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def test_the_window_is_open_for_24_hours_after_the_customer_wrote() -> None:
    assert messaging.window_open(AT, AT + timedelta(hours=23, minutes=59, seconds=59))
    assert not messaging.window_open(AT, AT + timedelta(hours=24))
    assert not messaging.window_open(None, AT)
    assert messaging.window_closes_at(AT) == AT + timedelta(hours=24)


def test_template_parameters_are_numbered_without_gaps() -> None:
    assert messaging.template_parameters("Olá, {{1}}! Chamado {{2}}, {{1}}.") == 2
    assert messaging.template_parameters("Sem parâmetros") == 0
    with pytest.raises(ValueError):
        messaging.template_parameters("Olá {{2}}")
    text = messaging.render_template("Olá, {{1}}! Chamado {{ 2 }}.", ["Marina", "#7"])
    assert text == "Olá, Marina! Chamado #7."


def test_reasons_are_portuguese_with_the_code() -> None:
    assert messaging.whatsapp_reason(131047).endswith("(código 131047)")
    assert messaging.whatsapp_reason("999", "Something odd") == "Something odd (código 999)"


@given(st.text(max_size=3000), st.integers(min_value=20, max_value=500), st.booleans())
def test_chunks_keep_every_word_and_respect_the_limit(text: str, limit: int, utf16: bool) -> None:
    pieces = messaging.chunks(text, limit, utf16=utf16)
    size = (lambda t: len(t.encode("utf-16-le")) // 2) if utf16 else len
    assert all(size(p) <= limit for p in pieces)
    assert "".join(text.split()) == "".join("".join(pieces).split())  # nothing dropped


def test_chunks_cut_at_a_paragraph() -> None:
    text = "a" * 30 + "\n\n" + "b" * 30
    assert messaging.chunks(text, 40) == ["a" * 30, "b" * 30]
    assert messaging.chunks("curto", 40) == ["curto"]


@pytest.mark.parametrize(
    ("given_number", "expected"),
    [
        ("+5511987654321", ("+5511987654321", "+551187654321")),
        ("+552187654321", ("+5521987654321", "+552187654321")),
        ("+551132654321", ("+551132654321",)),  # a landline has no ninth digit
        ("+14155550100", ("+14155550100",)),
    ],
)
def test_a_brazilian_mobile_has_two_forms(given_number: str, expected: tuple[str, ...]) -> None:
    assert phones.variants(given_number) == expected
    assert phones.canonical(given_number) == expected[0]


def test_numbers_are_shown_as_people_read_them() -> None:
    assert phones.spaced("+5511987654321") == "+55 11 98765-4321"
    assert phones.spaced("+551132654321") == "+55 11 3265-4321"
    assert phones.from_wa_id("5511987654321") == "+5511987654321"
    assert phones.from_wa_id("abc") is None
