"""The admin: partner keys (the secret shown once), webhook endpoints with a
"send a test event" action, and the delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.utils import timezone

from partners import keys, webhooks
from partners.models import PartnerKey, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners.tasks import deliver_webhook


class PartnerKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = PartnerKey
        fields = ["name", "scopes", "rate_per_minute", "daily_quota", "revoked_at"]


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    form = PartnerKeyForm
    list_display = [
        "name",
        "prefix",
        "scopes",
        "rate_per_minute",
        "daily_quota",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke"]

    def save_model(self, request, obj: PartnerKey, form, change: bool) -> None:
        raw = None if change else keys.assign_secret(obj)
        super().save_model(request, obj, form, change)
        if raw:
            messages.warning(
                request,
                f"The API key of {obj.name} is {raw} . Copy it now: it is stored only as a hash "
                "and cannot be shown again.",
            )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        n = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{n} key(s) revoked.")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url", "key", "min_level", "is_active", "legacy_signature", "consecutive_failures", "disabled_at",
    ]  # fmt: skip
    list_filter = ["is_active", "min_level", "legacy_signature"]
    filter_horizontal = ["services", "groups"]
    readonly_fields = ["consecutive_failures", "disabled_at", "created_at"]
    actions = ["send_test_event", "switch_on"]
    # A URL typed without a scheme is an https one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.action(description="Send a test event")
    def send_test_event(self, request, queryset) -> None:
        for endpoint in queryset:
            delivery = webhooks.test_event(endpoint)
            transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk))
        self.message_user(
            request, f"Test event queued for {queryset.count()} endpoint(s); see Webhook deliveries."
        )

    @admin.action(description="Switch on again (and forget past failures)")
    def switch_on(self, request, queryset) -> None:
        queryset.update(is_active=True, consecutive_failures=0, disabled_at=None)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "duration_ms",
        "error",
        "last_attempt_at",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "endpoint"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["kind", "created_at", "spike", "incident"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
