"""How deeply a JSON text nests, found without parsing it (a body nested a thousand levels deep
made the parser raise ``RecursionError``): the API refuses bodies, and the bulk import lines,
nested deeper than `MAX_JSON_DEPTH`."""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Final

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting of arrays and objects accepted in a JSON body (or an imported line)."""

# A JSON string, escapes included (the unrolled form: linear, no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(raw: bytes | str) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a scalar), without parsing
    it: brackets inside strings do not count. Linear in the size of the text."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep(raw: bytes | str) -> int | None:
    """The depth of a JSON text nested deeper than `MAX_JSON_DEPTH`, else None (fast when it
    has no more opening brackets than that, as nearly every body)."""
    opening = (
        raw.count("[") + raw.count("{")
        if isinstance(raw, str)
        else (raw.count(b"[") + raw.count(b"{"))
    )
    if opening <= MAX_JSON_DEPTH:
        return None
    depth = json_depth(raw)
    return depth if depth > MAX_JSON_DEPTH else None


TOO_DEEP = "JSON body is nested {depth} levels deep; at most {limit} levels are accepted"


def too_deep_detail(depth: int) -> str:
    return TOO_DEEP.format(depth=depth, limit=MAX_JSON_DEPTH)
