"""Staff triage from the spike page: confirm, dismiss with a reason, or reopen.

Only for signed-in staff with the "can triage" permission; everyone else gets a
403. The rules are spikes.verdicts'; this view parses the form and reports back.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from spikes import verdicts
from spikes.forms import TriageForm
from spikes.models import Spike

DONE = {"confirm": "Confirmed by our staff.", "dismiss": "Dismissed.", "reopen": "Reopened: suspected again."}


@require_POST
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    if not verdicts.can_triage(request.user):
        return HttpResponseForbidden("Sign in with an account that may triage spikes.")
    spike = get_object_or_404(Spike, pk=pk)
    back = HttpResponseRedirect(reverse("spike-detail", args=[spike.pk]))
    form = TriageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    by = verdicts.By.staff(request.user)
    action, note = form.cleaned_data["action"], form.cleaned_data["note"]
    try:
        if action == "confirm":
            verdicts.confirm(spike.pk, by, note=note)
        elif action == "dismiss":
            verdicts.dismiss(spike.pk, by, form.cleaned_data["reason"], note=note)
        else:
            verdicts.reopen(spike.pk, by, note=note)
    except verdicts.VerdictError as refused:
        messages.error(request, str(refused))
        return back
    messages.success(request, DONE[action])
    return back
