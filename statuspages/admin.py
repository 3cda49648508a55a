"""The admin: status sources (editable, with "poll now" and the problems each
poll met), provider incidents with their updates, and the acknowledgements."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from statuspages import tasks
from statuspages.forms import StatusSourceForm
from statuspages.models import (
    Acknowledgement,
    ProviderIncident,
    ProviderIncidentUpdate,
    SourceProblem,
    StatusSource,
)


class SourceProblemInline(admin.TabularInline):
    model = SourceProblem
    fields = ["at", "kind", "reason"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-at", "-id"]


@admin.register(StatusSource)
class StatusSourceAdmin(admin.ModelAdmin):
    form = StatusSourceForm
    list_display = ["name", "service", "kind", "state", "last_success_at", "failures", "is_active"]
    list_filter = ["kind", "is_active", "indicator"]
    list_select_related = ["service"]
    search_fields = ["name", "url", "service__name", "service__slug"]
    autocomplete_fields = ["service"]
    readonly_fields = [
        "indicator",
        "description",
        "affected_components",
        "last_polled_at",
        "last_success_at",
        "failures",
        "failing_since",
        "last_error",
        "next_poll_at",
        "etag",
        "last_modified",
    ]
    inlines = [SourceProblemInline]
    actions = ["poll_now"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="What it says")
    def state(self, source: StatusSource) -> str:
        if source.is_unreachable:
            return f"Unreachable since {source.failing_since:%Y-%m-%d %H:%M} UTC: {source.last_error}"
        if source.last_success_at is None:
            return "Not read yet"
        return source.get_indicator_display()

    @admin.action(description="Poll the selected sources now")
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        for pk in ids:
            tasks.poll_source.delay(pk)
        self.message_user(
            request, f"{len(ids)} poll(s) queued at {timezone.now():%H:%M:%S} UTC.", messages.SUCCESS
        )


class UpdateInline(admin.TabularInline):
    model = ProviderIncidentUpdate
    fields = ["at", "status", "body"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False


@admin.register(ProviderIncident)
class ProviderIncidentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "service",
        "source",
        "status",
        "impact",
        "is_maintenance",
        "started_at",
        "resolved_at",
    ]
    list_filter = ["is_maintenance", "impact", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["service", "source"]
    search_fields = ["title", "service__name", "provider_id"]
    date_hierarchy = "started_at"
    inlines = [UpdateInline]

    # The provider's record as we read it: not edited here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["spike", "service", "detected_at", "acknowledged_at", "lag_seconds"]
    list_select_related = ["spike__service", "service"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
