"""The levels, verdicts and reasons in the middle of a sentence, in the reader's
language: "WhatsApp: possible problems since 14:30", "dismissed by our staff: report
bombing". English lower-cases the labels there; German keeps its nouns capitalised
("mögliche Störung"), so each language gets the phrase itself rather than a
lower-cased label."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from spikes.models import ConfirmedBy, DismissReason, Level, StatusLevel

LEVEL = {
    Level.WARNING: pgettext_lazy("level, in a sentence", "possible problems"),
    Level.DANGER: pgettext_lazy("level, in a sentence", "problems detected"),
}
STATUS = {
    StatusLevel.OK: pgettext_lazy("status, in a sentence", "no current problems"),
    StatusLevel.WARNING: LEVEL[Level.WARNING],
    StatusLevel.DANGER: LEVEL[Level.DANGER],
    StatusLevel.RECOVERING: pgettext_lazy("status, in a sentence", "recovering"),
}
CONFIRMED_BY = {
    ConfirmedBy.STAFF: pgettext_lazy("confirmed by, in a sentence", "our staff"),
    ConfirmedBy.PROVIDER: pgettext_lazy("confirmed by, in a sentence", "the provider"),
}
DISMISS_REASON = {
    DismissReason.REPORT_BOMBING: pgettext_lazy("dismiss reason, in a sentence", "report bombing"),
    DismissReason.NEWS_CURIOSITY: pgettext_lazy("dismiss reason, in a sentence", "news-driven curiosity"),
    DismissReason.TEST: pgettext_lazy("dismiss reason, in a sentence", "a test"),
    DismissReason.OTHER: pgettext_lazy("dismiss reason, in a sentence", "not an outage"),
}


def level(code: str) -> str:
    return str(LEVEL.get(code, code))


def status(code: str) -> str:
    return str(STATUS.get(code, code))


def confirmed_by(code: str) -> str:
    """Who confirmed it; "our staff" when the record does not say."""
    return str(CONFIRMED_BY.get(code, CONFIRMED_BY[ConfirmedBy.STAFF]))


def dismiss_reason(code: str) -> str:
    """Why it was dismissed; "not an outage" when the record does not say."""
    return str(DISMISS_REASON.get(code, DISMISS_REASON[DismissReason.OTHER]))
