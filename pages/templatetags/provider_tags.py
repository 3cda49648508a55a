"""The provider's side on the site's pages:

- {% provider_side service crowd_level crowd_since %}: in the service page's
  banner, what the status page says beside what users report;
- {% provider_record service %}: how the provider owned up over 90 days;
- {% provider_ack spike %}: on a spike page, when the provider first spoke of it.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from pages.providers import both_sides
from reports.models import Service
from spikes.models import Spike
from statuspages.acknowledgements import first_acknowledgement, record_for
from statuspages.word import provider_word

register = template.Library()


@register.inclusion_tag("pages/includes/provider_side.html")
def provider_side(service: Service, crowd_level: str, crowd_since: datetime | None = None) -> dict:
    sides = both_sides(provider_word(service, timezone.now()), crowd_level, crowd_since)
    return {"sides": sides, "service": service}


@register.inclusion_tag("pages/includes/provider_record.html")
def provider_record(service: Service) -> dict:
    return {"record": record_for(service, timezone.now()), "service": service}


@register.inclusion_tag("pages/includes/provider_ack.html")
def provider_ack(spike: Spike) -> dict:
    """Minutes from our detection to the provider's first word (negative: it spoke first)."""
    at = first_acknowledgement(spike)
    minutes = None if at is None else round((at - spike.detected_at).total_seconds() / 60)
    return {
        "at": at,
        "minutes": minutes,
        "late": minutes is not None and minutes > 0,
        "early": -minutes if minutes and minutes < 0 else None,
    }
