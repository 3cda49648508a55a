"""Both sides on one page: what users report beside what the provider's status
page says, and where they disagree (the contrast journalists ask about most).

The crowd's side comes from the spikes, the provider's from statuspages.word;
this module only says which of the cases a page is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statuspages.word import ProviderWord, State


class Case:
    AGREE = "agree"  # users report problems, and so does the provider
    CONTRAST = "contrast"  # users report problems; the page says all systems operational
    PROVIDER_ONLY = "provider-only"  # the provider reports an incident; few user reports so far
    MAINTENANCE = "maintenance"  # maintenance under way
    QUIET = "quiet"  # neither reports anything
    UNREACHABLE = "unreachable"  # we cannot read the page
    STALE = "stale"  # we have not read it lately


@dataclass(frozen=True)
class BothSides:
    word: ProviderWord
    crowd_problems: bool
    crowd_since: datetime | None = None

    @property
    def case(self) -> str:
        state = self.word.state
        if state == State.UNREACHABLE:
            return Case.UNREACHABLE
        if state == State.STALE:
            return Case.STALE
        if state == State.MAINTENANCE:
            return Case.MAINTENANCE
        if state == State.PROBLEMS:
            return Case.AGREE if self.crowd_problems else Case.PROVIDER_ONLY
        return Case.CONTRAST if self.crowd_problems else Case.QUIET

    @property
    def incident(self):
        """The provider's incident (or maintenance) going on that speaks for it."""
        return self.word.incidents[0] if self.word.incidents else None


def both_sides(word: ProviderWord | None, crowd_level: str, crowd_since: datetime | None) -> BothSides | None:
    """crowd_level: the service's status level ("ok", "warning", "danger", "recovering")."""
    if word is None:
        return None
    return BothSides(word, crowd_problems=crowd_level in ("warning", "danger"), crowd_since=crowd_since)
