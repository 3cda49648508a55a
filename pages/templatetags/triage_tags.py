"""{% triage_form spike %}: the triage form on a spike page, for those who may triage."""

from __future__ import annotations

from django import template

from spikes import verdicts
from spikes.forms import TriageForm
from spikes.models import Spike

register = template.Library()


@register.inclusion_tag("pages/includes/triage.html", takes_context=True)
def triage_form(context: template.Context, spike: Spike) -> dict:
    request = context.get("request")
    allowed = request is not None and verdicts.can_triage(request.user)
    return {"allowed": allowed, "spike": spike, "form": TriageForm() if allowed else None, "request": request}
