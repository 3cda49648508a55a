"""A spike's verdict: suspected, confirmed (by our staff or by the provider) or
dismissed (with a reason), apart from its lifecycle (open until `ended_at`).

Every change goes through here: the spike row is locked, the change is checked
against the current verdict, and a SpikeChange records who or what made it and
when. The detector never calls this module, and nothing here reads what the
detector reads: the verdict can never change what is detected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from spikes.models import Actor, ConfirmedBy, DismissReason, Spike, SpikeChange, Verdict

TRIAGE_PERMISSION = "spikes.triage_spike"


class VerdictError(ValueError):
    """A change that makes no sense for the spike's current verdict; the message
    says why, in words a staff member can act on."""


@dataclass(frozen=True)
class By:
    """Who or what makes a change: a staff member, or a provider's status page."""

    actor: str
    name: str = ""
    user: AbstractBaseUser | None = None

    @classmethod
    def staff(cls, user: AbstractBaseUser) -> By:
        return cls(Actor.STAFF, user.get_username(), user)

    @classmethod
    def provider(cls, source_name: str) -> By:
        return cls(Actor.PROVIDER, source_name[:150])


def can_triage(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(TRIAGE_PERMISSION))


def _record(spike: Spike, kind: str, by: By, at: datetime, note: str = "", reason: str = "") -> SpikeChange:
    return SpikeChange.objects.create(
        spike=spike,
        at=at,
        kind=kind,
        note=note[:300],
        actor=by.actor,
        actor_name=by.name,
        user=by.user,
        reason=reason,
    )


def _locked(spike_id: int) -> Spike:
    return Spike.objects.select_for_update().get(pk=spike_id)


def _set(spike: Spike, verdict: str, at: datetime, confirmed_by="", reason="", note="", url="") -> None:
    spike.verdict, spike.confirmed_by, spike.dismissed_reason = verdict, confirmed_by, reason
    spike.verdict_note, spike.verdict_url, spike.verdict_at = note[:300], url, at
    spike.save(
        update_fields=[
            "verdict",
            "confirmed_by",
            "dismissed_reason",
            "verdict_note",
            "verdict_url",
            "verdict_at",
        ]
    )


@transaction.atomic
def confirm(spike_id: int, by: By, note: str = "", url: str = "", at: datetime | None = None) -> Spike:
    """Confirm an outage. Our staff can confirm a suspected or a dismissed spike.
    A provider's incident confirms a suspected spike, and outranks our staff's
    confirmation (its own word is the stronger one); it never overrides a
    dismissal by our staff, who have seen more than the match of two times."""
    at = at or timezone.now()
    spike = _locked(spike_id)
    if by.actor == Actor.PROVIDER:
        if spike.verdict == Verdict.DISMISSED or spike.confirmed_by == ConfirmedBy.PROVIDER:
            return spike
        confirmed_by = ConfirmedBy.PROVIDER
    else:
        if spike.verdict == Verdict.CONFIRMED:
            raise VerdictError(
                f"This spike is already confirmed by {spike.get_confirmed_by_display().lower()}."
            )
        confirmed_by = ConfirmedBy.STAFF
    _set(spike, Verdict.CONFIRMED, at, confirmed_by=confirmed_by, note=note, url=url)
    _record(spike, SpikeChange.Kind.CONFIRMED, by, at, note=note)
    return spike


@transaction.atomic
def dismiss(spike_id: int, by: By, reason: str, note: str = "", at: datetime | None = None) -> Spike:
    """Dismiss a spike as no outage, for one of DismissReason's reasons ("other"
    needs a note saying what it was)."""
    if reason not in DismissReason.values:
        raise VerdictError(f"Choose a reason: {', '.join(str(label) for label in DismissReason.labels)}.")
    if reason == DismissReason.OTHER and not note.strip():
        raise VerdictError('Say in the note why the spike is dismissed when the reason is "other".')
    at = at or timezone.now()
    spike = _locked(spike_id)
    if spike.verdict == Verdict.DISMISSED:
        raise VerdictError("This spike is already dismissed.")
    _set(spike, Verdict.DISMISSED, at, reason=reason, note=note.strip())
    _record(spike, SpikeChange.Kind.DISMISSED, by, at, note=note.strip(), reason=reason)
    return spike


@transaction.atomic
def reopen(spike_id: int, by: By, note: str = "", at: datetime | None = None) -> Spike:
    """Withdraw a verdict: the spike is suspected again (and back in the triage
    queue while it is open)."""
    at = at or timezone.now()
    spike = _locked(spike_id)
    if spike.verdict == Verdict.SUSPECTED:
        raise VerdictError("This spike has no verdict to withdraw.")
    _set(spike, Verdict.SUSPECTED, at)
    _record(spike, SpikeChange.Kind.REOPENED, by, at, note=note.strip())
    return spike
