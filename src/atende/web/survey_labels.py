"""The words of the surveys shown to people (the survey page and the ticket's timeline)."""

from __future__ import annotations

from atende.web.i18n import N_, _

CSAT_LABELS = {1: N_("Very bad"), 2: N_("Bad"), 3: N_("Fair"), 4: N_("Good"), 5: N_("Great")}
REASON_LABELS = {
    "slow": N_("It took too long"),
    "not_solved": N_("My problem was not solved"),
    "unclear": N_("The answers were unclear"),
    "impolite": N_("The service was not courteous"),
    "transfers": N_("I was passed around too many times"),
    "other": N_("Another reason"),
}


def survey_reason_label(code: str) -> str:
    label = REASON_LABELS.get(code)
    return _(label) if label else ""
