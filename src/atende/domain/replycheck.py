"""The reply check: warnings an agent sees before a public reply leaves (seed 002).

Three kinds of finding, each naming the phrase and suggesting a rewrite; the agent may send
anyway (nothing here blocks anything):

- ``gerund`` ("gerundismo"): a future or modal auxiliary + "estar" + gerund ("vou estar
  verificando", "pode estar recebendo") or a future of "estar" + gerund ("estarei passando").
  The plain present continuous ("estou verificando agora") and "estar" used otherwise ("vou
  estar disponível") are correct Portuguese and never flagged. The suggestion is a drop-in
  rewrite of the phrase ("vou verificar").
- ``promise``: a firm deadline or guarantee from the ``promises`` list ("até amanhã", "em 2
  horas", "garanto que"), or a deadline given on another department's behalf: a phrase of
  ``departments``, then up to eight words of the same sentence, then a phrase of
  ``deadlines`` or ``promises`` ("o financeiro vai liberar hoje"; items 48-49 of seed 002).
- ``closing_question``: the reply does not end by asking whether any doubt remains (a phrase of
  ``closing_questions``). See `_asks_at_the_end` for what "ends" tolerates (a sign-off and a
  signature, quoted history).

Matching ignores case and accents. Offsets are character offsets into the body as given, and
for every finding ``body[start:end] == phrase``: a ``closing_question`` finding has the empty
phrase at the very end of the body (``start == end == len(body)``), where the question belongs.

The lists are data (`atende.domain.replycheck_lists`: their defaults, and `validate_items` for
an admin's edit; re-exported here); `Checker` compiles them once and is an immutable value,
shareable by threads.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from atende.domain.replycheck_lists import (
    DEFAULT_LISTS,
    DEPARTMENT_SUGGESTION,
    LIST_NAMES,
    MAX_BODY,
    MAX_ITEMS,
    MAX_PHRASE,
    MAX_SUGGESTION,
    NUMBER_SLOT,
    TRAILING_PUNCTUATION,
    ListName,
    Lists,
    Phrase,
    fold,
    fold_char,
    validate_items,
)

__all__ = [
    "DEFAULT_LISTS",
    "DEPARTMENT_SUGGESTION",
    "LIST_NAMES",
    "MAX_BODY",
    "MAX_ITEMS",
    "MAX_PHRASE",
    "MAX_SUGGESTION",
    "Checker",
    "Finding",
    "Kind",
    "ListName",
    "Lists",
    "Phrase",
    "check",
    "checker",
    "validate_items",
]

Kind = Literal["gerund", "promise", "closing_question"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    phrase: str
    start: int
    end: int
    suggestion: str

    def as_dict(self) -> dict[str, str | int]:
        return {
            "kind": self.kind,
            "phrase": self.phrase,
            "start": self.start,
            "end": self.end,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True)
class _Folded:
    """A folded copy of a text and, when folding changed lengths, where each folded character
    came from (``None``: one character each, the offsets are the same)."""

    text: str
    starts: tuple[int, ...] | None
    ends: tuple[int, ...] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of folded ``[start, end)`` (``end > start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _folded(text: str) -> _Folded:
    pieces = [fold_char(c) for c in text]
    if all(len(p) == 1 for p in pieces):
        return _Folded("".join(pieces), None, None)
    starts: list[int] = []
    ends: list[int] = []
    for i, piece in enumerate(pieces):
        if not piece:  # a combining mark (or a character that folds to nothing): it belongs
            if ends:  # to the character before it
                ends[-1] = i + 1
            continue
        starts.extend([i] * len(piece))
        ends.extend([i + 1] * len(piece))
    return _Folded("".join(pieces), tuple(starts), tuple(ends))


# --- compiling the lists ----------------------------------------------------------------------

_NUMBER: Final = (
    r"(?:\d+(?:[.,]\d+)?|um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|nove|dez|onze|doze"
    r"|quinze|vinte|trinta|quarenta|quarenta e oito|setenta e duas|meia)"
)
_SPACE: Final = r"[^\S\n]+"  # blanks within one line
_WORD_START: Final = r"(?<!\w)"
_WORD_END: Final = r"(?!\w)"


def _pattern(phrase: str, *, strip_punctuation: bool = False) -> str:
    """The regular expression (on folded text) of a list's phrase: words separated by any
    blanks, ``{n}`` a number in digits or words, everything else literal."""
    text = fold(phrase).strip()
    if strip_punctuation:
        text = text.rstrip(TRAILING_PUNCTUATION).lstrip("¿¡ ")
    words = []
    for word in text.split():
        parts = word.split(NUMBER_SLOT)
        words.append(_NUMBER.join(re.escape(p) for p in parts))
    return _SPACE.join(words)


def _alternation(patterns: Iterable[tuple[str, str]]) -> re.Pattern[str] | None:
    """One pattern of named alternatives (name, regex), longest phrases first."""
    items = sorted({name: p for name, p in patterns if p}.items(), key=lambda kv: -len(kv[1]))
    if not items:
        return None
    body = "|".join(f"(?P<{name}>{p})" for name, p in items)
    return re.compile(f"{_WORD_START}(?:{body}){_WORD_END}")


def _overlapping(patterns: Iterable[tuple[str, str]]) -> re.Pattern[str] | None:
    """Like `_alternation`, but a zero-width match at every start (a lookahead): phrases that
    overlap ("te garanto" and "garanto que") are all seen."""
    items = sorted({name: p for name, p in patterns if p}.items(), key=lambda kv: -len(kv[1]))
    if not items:
        return None
    body = "|".join(f"(?P<{name}>{p})" for name, p in items)
    return re.compile(f"{_WORD_START}(?=(?:{body}){_WORD_END})")


_ESTAR_FUTURE: Final = {  # future of "estar" -> the form of "ir" that says the same
    "estarei": "vou",
    "estaras": "vais",
    "estara": "vai",
    "estaremos": "vamos",
    "estareis": "ides",
    "estarao": "vão",
}
# words that may stand between the auxiliary, "estar" and the gerund ("vou estar te enviando",
# "estarei pessoalmente acompanhando"): clitics, a few adverbs, any adverb in -mente
_FILLER: Final = (
    r"(?:te|lhe|lhes|me|nos|vos|eu|sempre|ja|tambem|ainda|so|apenas|entao|mesmo|hoje|amanha"
    r"|agora|logo|aqui|novamente|\w+mente)"
)
_GERUND: Final = r"(?:\w*(?:ando|endo|indo)|\w*pondo)"
_NOT_GERUNDS: Final = frozenset(
    {
        "quando", "comando", "bando", "brando", "contrabando", "nefando", "desmando",
        "estupendo", "horrendo", "remendo", "adendo", "dividendo", "reverendo", "lindo",
        "infindo", "bem-vindo", "redondo", "hediondo", "oriundo", "segundo", "mundo", "fundo",
        "profundo",
    }
)  # fmt: skip
# in a department's promise, a word between the department and the deadline that says the
# sentence is about the past, what is going on, or only a possibility (not a promise)
_NOT_PROMISE_WORDS: Final = frozenset(
    {
        "foi", "foram", "fez", "fizeram", "teve", "tiveram", "deu", "deram", "esta", "estao",
        "estava", "estavam", "estaria", "estariam", "poderia", "poderiam", "deveria",
        "deveriam", "talvez", "nao", "ja", "quando", "se", "caso",
    }
)  # fmt: skip
_PAST_ENDINGS: Final = ("ou", "aram", "eram", "iram", "iu", "ava", "avam")
_NOT_PAST: Final = frozenset({"ou", "sou", "vou", "estou", "dou", "tou"})
_FILLER_WORDS: Final = frozenset(
    {"de", "do", "da", "dos", "das", "o", "a", "os", "as", "e", "que", "em", "no", "na", "nos",
     "nas", "para", "pra", "com", "por", "um", "uma", "ao", "aos", "seu", "sua", "seus", "suas"}
)  # fmt: skip
_ARTICLE: Final = r"(?:o|a|os|as|nosso|nossa|nossos|nossas)"
_SENTENCE_STOP: Final = re.compile(r"[?.!\n]")
_DEPARTMENT_GAP: Final = 8  # words between a department and its deadline, at most
_SIGN_OFF_LINES: Final = 6
_SIGN_OFF_LINE_CHARS: Final = 120
_CLOSING_SUGGESTION: Final = "Termine a resposta perguntando se ficou alguma dúvida: “{example}?”"


class Checker:
    """The lists compiled: `check` a body as many times as wanted (an immutable value)."""

    def __init__(self, lists: Lists) -> None:
        self.lists = lists
        self._promises = _overlapping(
            (f"p{i}", _pattern(item.phrase)) for i, item in enumerate(lists.promises)
        )
        self._promise_suggestions = {f"p{i}": p.suggestion for i, p in enumerate(lists.promises)}
        deadline_alts = [_pattern(p.phrase) for p in lists.deadlines + lists.promises]
        department_alts = [_pattern(p.phrase) for p in lists.departments]
        self._departments: re.Pattern[str] | None = None
        deadlines = "|".join(sorted({a for a in deadline_alts if a}, key=len, reverse=True))
        departments = "|".join(sorted({a for a in department_alts if a}, key=len, reverse=True))
        if deadlines and departments:
            self._departments = re.compile(
                rf"{_WORD_START}(?:{_ARTICLE}{_SPACE})?(?:{departments}){_WORD_END}"
                rf"(?P<gap>(?:{_SPACE}\w[\w-]*){{1,{_DEPARTMENT_GAP}}}?){_SPACE}"
                rf"(?:{deadlines}){_WORD_END}"
            )
        auxiliaries = "|".join(
            sorted({a for a in (_pattern(p.phrase) for p in lists.auxiliaries) if a}, key=len)[::-1]
        )
        fillers = rf"(?:{_SPACE}{_FILLER}){{0,2}}"
        futures = "|".join(sorted(_ESTAR_FUTURE, key=len, reverse=True))
        modal = (
            rf"(?P<aux>{auxiliaries})(?P<f1>{fillers}){_SPACE}estar(?P<f2>{fillers}){_SPACE}"
            rf"(?P<ger>{_GERUND})"
            if auxiliaries
            else None
        )
        future = rf"(?P<fut>{futures})(?P<f3>{fillers}){_SPACE}(?P<ger2>{_GERUND})"
        either = f"{modal}|{future}" if modal else future
        self._gerunds = re.compile(rf"{_WORD_START}(?:{either}){_WORD_END}")
        self._closings = _alternation(
            (f"c{i}", _pattern(p.phrase, strip_punctuation=True))
            for i, p in enumerate(lists.closing_questions)
        )
        example = lists.closing_questions[0].phrase if lists.closing_questions else ""
        example = example.strip().rstrip(TRAILING_PUNCTUATION)
        self._closing_suggestion = _CLOSING_SUGGESTION.format(
            example=example[:1].upper() + example[1:]
        )

    def check(self, body: str) -> list[Finding]:
        """The findings of ``body`` (a public reply's text), in order of their start."""
        folded = _folded(body)
        findings = self._gerund_findings(body, folded)
        findings += self._promise_findings(body, folded)
        findings.sort(key=lambda f: (f.start, f.end, f.kind))
        if self._closings is not None and not self._asks_at_the_end(folded.text):
            findings.append(
                Finding("closing_question", "", len(body), len(body), self._closing_suggestion)
            )
        return findings

    # --- gerundismo ---------------------------------------------------------------------------

    def _gerund_findings(self, body: str, folded: _Folded) -> list[Finding]:
        found = []
        for m in self._gerunds.finditer(folded.text):
            ger_group = "ger" if m.group("ger") else "ger2"
            if m.group(ger_group) in _NOT_GERUNDS:
                continue
            start, end = folded.span(m.start(), m.end())
            phrase = body[start:end]

            def original(group: str, m: re.Match[str] = m) -> str:
                s, e = m.span(group)
                if e <= s:
                    return ""
                a, b = folded.span(s, e)
                return body[a:b]

            gerund = original(ger_group)
            if m.group("aux"):
                words = [original("aux"), *original("f1").split(), *original("f2").split()]
            else:
                words = [_ESTAR_FUTURE[m.group("fut")], *original("f3").split()]
                if phrase[:1].isupper():
                    words[0] = words[0][:1].upper() + words[0][1:]
                if phrase.isupper():
                    words[0] = words[0].upper()
            suggestion = " ".join([*words, _infinitive(gerund)])
            found.append(Finding("gerund", phrase, start, end, suggestion))
        return found

    # --- promises -----------------------------------------------------------------------------

    def _promise_findings(self, body: str, folded: _Folded) -> list[Finding]:
        candidates: list[tuple[int, int, str]] = []  # folded start, end, suggestion
        if self._departments is not None:
            for m in self._departments.finditer(folded.text):
                if _promises_something(m.group("gap")):
                    candidates.append((m.start(), m.end(), DEPARTMENT_SUGGESTION))
        if self._promises is not None:
            for m in self._promises.finditer(folded.text):
                name = m.lastgroup or ""
                start, end = m.span(name)
                candidates.append((start, end, self._promise_suggestions.get(name, "")))
        # overlapping phrases make one promise ("te garanto" + "garanto que"; a department's
        # promise and the deadline in it), with the suggestion of the longest
        merged: list[tuple[int, int, str, int]] = []  # start, end, suggestion, its length
        for start, end, suggestion in sorted(candidates):
            if merged and start < merged[-1][1]:
                s0, e0, sug0, len0 = merged[-1]
                better = (suggestion, end - start) if end - start > len0 else (sug0, len0)
                merged[-1] = (s0, max(e0, end), *better)
            else:
                merged.append((start, end, suggestion, end - start))
        found = []
        for start, end, suggestion, _ in merged:
            a, b = folded.span(start, end)
            found.append(Finding("promise", body[a:b], a, b, suggestion))
        return found

    # --- the closing question -----------------------------------------------------------------

    def _asks_at_the_end(self, text: str) -> bool:
        """Whether the reply ends by asking if a doubt remains.

        A closing phrase counts when its sentence ends with "?" or the phrase ends its sentence
        ("Ficou alguma dúvida"), and what follows that sentence is only a sign-off: at most six
        short lines (120 characters each: "Fico no aguardo.", "Atenciosamente,", a name, a
        phone number) and no other question. Quoted history below ("> ..." lines and the
        "Em ..., fulano escreveu:" line before them) is not counted.
        """
        assert self._closings is not None
        stops = [m.start() for m in _SENTENCE_STOP.finditer(text)]
        for m in reversed(list(self._closings.finditer(text))):
            at = bisect.bisect_left(stops, m.end())
            stop = stops[at] if at < len(stops) else len(text)
            asked = stop < len(text) and text[stop] == "?"
            if not asked and re.search(r"\w", text[m.end() : stop]):
                continue  # "Se ficou alguma dúvida, é só responder." asks nothing
            while stop < len(text) and text[stop] in "?.!":
                stop += 1
            # the tail of an earlier phrase holds this one's: if this is no sign-off, neither is
            # that one
            return _is_sign_off(text[stop:])
        return False


def _promises_something(gap: str) -> bool:
    """Whether the words between a department and a deadline make a promise: some word other
    than articles and prepositions (the verb), none that speaks of the past or of a mere
    possibility ("o financeiro liberou hoje", "o financeiro poderia liberar hoje")."""
    words = gap.split()
    if all(w in _FILLER_WORDS for w in words):
        return False
    for w in words:
        if w in _NOT_PROMISE_WORDS:
            return False
        if w not in _NOT_PAST and w.endswith(_PAST_ENDINGS) and len(w) > 3:
            return False
    return True


def _is_sign_off(tail: str) -> bool:
    lines = [line.strip() for line in tail.splitlines()]
    lines = [line for line in lines if line and not line.startswith(">")]
    if lines and lines[-1].endswith(("escreveu:", "wrote:")):
        lines.pop()  # "Em 12/03/2026, Ana <ana@...> escreveu:" above the quoted history
    if len(lines) > _SIGN_OFF_LINES:
        return False
    return all(len(line) <= _SIGN_OFF_LINE_CHARS and "?" not in line for line in lines)


def _infinitive(gerund: str) -> str:
    """``verificando`` -> ``verificar``, ``recebendo`` -> ``receber``, ``pondo`` -> ``pôr``."""
    upper = gerund.isupper() and len(gerund) > 1
    low = gerund.lower()
    if low == "pondo":
        word = "pôr"
    elif low.endswith("pondo"):
        word = gerund[:-5] + "por"
    else:
        ending = {"a": "ar", "e": "er", "i": "ir"}.get(fold(low[-4]), "ar")
        word = gerund[:-4] + ending
    return word.upper() if upper else word


@lru_cache(maxsize=8)
def checker(lists: Lists) -> Checker:
    """The compiled `Checker` of ``lists`` (kept for the last few lists seen)."""
    return Checker(lists)


def check(body: str, lists: Lists = DEFAULT_LISTS) -> list[Finding]:
    """The findings of ``body`` against ``lists`` (the defaults unless given)."""
    return checker(lists).check(body)
