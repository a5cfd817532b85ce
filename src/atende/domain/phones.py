"""Brazilian mobile numbers with and without the ninth digit (decision 0023).

Since 2016 every Brazilian mobile number has nine digits after the area code, starting with 9,
but WhatsApp still knows many older accounts by the eight-digit number (its ``wa_id`` is then
``55DDXXXXXXXX``). The same person must be one contact whichever form arrives: a lookup tries
both forms. Pure functions on E.164 strings (``+5511987654321``).
"""

from __future__ import annotations

import re

_BR_MOBILE_9 = re.compile(r"^\+55([1-9][0-9])9([6-9][0-9]{7})$")
_BR_MOBILE_8 = re.compile(r"^\+55([1-9][0-9])([6-9][0-9]{7})$")
_DIGITS = re.compile(r"^[0-9]{6,15}$")


def variants(e164: str) -> tuple[str, ...]:
    """``e164`` and, for a Brazilian mobile number, its other form (with or without the ninth
    digit), the nine-digit form first. Any other number is its own only variant."""
    nine = _BR_MOBILE_9.match(e164)
    if nine is not None:
        return e164, f"+55{nine[1]}{nine[2]}"
    eight = _BR_MOBILE_8.match(e164)
    if eight is not None:
        return f"+55{eight[1]}9{eight[2]}", e164
    return (e164,)


def canonical(e164: str) -> str:
    """The form a contact is stored with: a Brazilian mobile number with its ninth digit."""
    return variants(e164)[0]


def from_wa_id(wa_id: str) -> str | None:
    """The E.164 form of a WhatsApp id (digits with the country code), None when it is not one."""
    digits = wa_id.strip().lstrip("+")
    return f"+{digits}" if _DIGITS.match(digits) else None


def spaced(e164: str) -> str:
    """A Brazilian number as people read it (``+55 11 98765-4321``); others unchanged."""
    nine = _BR_MOBILE_9.match(e164)
    if nine is not None:
        rest = "9" + nine[2]
        return f"+55 {nine[1]} {rest[:5]}-{rest[5:]}"
    land = re.match(r"^\+55([1-9][0-9])([0-9]{8})$", e164)
    if land is not None:
        return f"+55 {land[1]} {land[2][:4]}-{land[2][4:]}"
    return e164
