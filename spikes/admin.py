"""The admin's spikes: the triage queue (open spikes without a verdict, largest
first), every spike with its history, and the triage actions (confirm, dismiss
with a reason, reopen) for the selected spikes. Staff with the "can triage"
permission may use them; they need not be superusers."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from spikes import verdicts
from spikes.forms import DismissForm
from spikes.models import Spike, SpikeAwaitingVerdict, SpikeChange


class SpikeChangeInline(admin.TabularInline):
    model = SpikeChange
    fields = ["at", "kind", "level", "actor", "actor_name", "reason", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def _apply(
    admin_: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    change: Callable[[int], object],
    done: str,
) -> None:
    applied, refused = 0, []
    for pk in queryset.values_list("pk", flat=True):
        try:
            change(pk)
            applied += 1
        except verdicts.VerdictError as why:
            refused.append(f"#{pk}: {why}")
    if applied:
        admin_.message_user(
            request, f"{applied} spike{'s' if applied != 1 else ''} {done}.", messages.SUCCESS
        )
    if refused:
        admin_.message_user(request, "Left as they were: " + " ".join(refused), messages.WARNING)


class TriageAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "level",
        "verdict",
        "confirmed_by",
        "dismissed_reason",
        "peak_reports",
        "expected_reports",
        "started_at",
        "ended_at",
    ]
    list_filter = [
        "verdict",
        "confirmed_by",
        "dismissed_reason",
        "level",
        ("ended_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["service__name", "service__slug", "region"]
    list_select_related = ["service"]
    inlines = [SpikeChangeInline]
    actions = ["confirm_selected", "dismiss_selected", "reopen_selected"]
    exclude = ["series", "incident", "related_to", "problems", "regions"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return verdicts.can_triage(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_triage_permission(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_triage_permission(request) or super().has_view_permission(request, obj)

    # Spikes are the detector's: the admin reads them and triages them, never edits them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Confirm the selected spikes (by our staff)", permissions=["triage"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        by = verdicts.By.staff(request.user)
        _apply(self, request, queryset, lambda pk: verdicts.confirm(pk, by), "confirmed")

    @admin.action(description="Reopen the selected spikes (withdraw their verdict)", permissions=["triage"])
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        by = verdicts.By.staff(request.user)
        _apply(self, request, queryset, lambda pk: verdicts.reopen(pk, by), "reopened")

    @admin.action(description="Dismiss the selected spikes…", permissions=["triage"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet):
        """First a page asking for the reason, then the dismissal."""
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            by = verdicts.By.staff(request.user)
            reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
            _apply(
                self, request, queryset, lambda pk: verdicts.dismiss(pk, by, reason, note=note), "dismissed"
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Dismiss spikes",
            "form": form,
            "spikes": queryset.select_related("service"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/spikes/dismiss.html", context)


@admin.register(Spike)
class SpikeAdmin(TriageAdmin):
    date_hierarchy = "started_at"


@admin.register(SpikeAwaitingVerdict)
class TriageQueueAdmin(TriageAdmin):
    list_filter = ["level"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return SpikeAwaitingVerdict.objects.awaiting_verdict().select_related("service")

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-excess", "started_at"]
