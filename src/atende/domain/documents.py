"""Brazilian tax ids: CPF (11 digits) and CNPJ (14 characters, numeric or the 2026 alphanumeric).

Check digits use modulus 11. For the alphanumeric CNPJ each character is worth its ASCII code
minus 48 ("0".."9" -> 0..9, "A" -> 17 ...), which leaves numeric CNPJs unchanged.
"""

from __future__ import annotations

import re

from atende.domain.errors import ValidationFailed

_STRIP = re.compile(r"[.\-/\s]")
_CNPJ = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_CPF = re.compile(r"^[0-9]{11}$")


def _check_digit(values: list[int], weights: list[int]) -> int:
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def cpf_is_valid(cpf: str) -> bool:
    if not _CPF.match(cpf) or cpf == cpf[0] * 11:
        return False
    digits = [int(c) for c in cpf]
    d1 = _check_digit(digits[:9], list(range(10, 1, -1)))
    d2 = _check_digit([*digits[:9], d1], list(range(11, 1, -1)))
    return digits[9] == d1 and digits[10] == d2


def cnpj_is_valid(cnpj: str) -> bool:
    if not _CNPJ.match(cnpj) or cnpj == cnpj[0] * 14:
        return False
    values = [ord(c) - 48 for c in cnpj]
    w1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    d1 = _check_digit(values[:12], w1)
    d2 = _check_digit([*values[:12], d1], [6, *w1])
    return values[12] == d1 and values[13] == d2


def normalise_document(raw: str, *, field: str = "document") -> str:
    """Strip punctuation and return a valid CPF or CNPJ, or raise naming the fault."""
    value = _STRIP.sub("", raw).upper()
    if len(value) == 11 and value.isdigit():
        if cpf_is_valid(value):
            return value
        raise ValidationFailed(
            "invalid CPF {raw!r}: check digits do not match", field=field, raw=raw
        )
    if len(value) == 14:
        if cnpj_is_valid(value):
            return value
        raise ValidationFailed(
            "invalid CNPJ {raw!r}: check digits do not match", field=field, raw=raw
        )
    raise ValidationFailed(
        "invalid document {raw!r}: a CPF has 11 digits and a CNPJ 14 characters",
        field=field,
        raw=raw,
    )
