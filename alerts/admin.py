"""The alerts in the admin: subscribers (never listed by address), their follows
and messages, events, and newsroom channels with their deliveries."""

from __future__ import annotations

from django.contrib import admin

from alerts.models import (
    AlertEvent,
    ChannelDelivery,
    Follow,
    NewsroomChannel,
    Notification,
    Subscriber,
)


class FollowInline(admin.TabularInline):
    model = Follow
    extra = 0
    raw_id_fields = ["service", "group"]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    # The address is shown on a subscriber's own page, never in lists or searches
    # that would spill many at once.
    list_display = ["__str__", "medium", "status", "time_zone", "created_at", "unsubscribed_at", "bounced_at"]
    list_filter = ["medium", "status"]
    readonly_fields = ["email", "endpoint", "p256dh", "auth", "created_at", "bounce_code"]
    fields = [
        "medium",
        "email",
        "endpoint",
        "time_zone",
        "status",
        "unsubscribed_at",
        "bounced_at",
        "bounce_code",
    ]
    inlines = [FollowInline]
    show_full_result_count = False


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin):
    list_display = ["__str__", "phase", "created_at", "fanned_out_at"]
    list_filter = ["phase"]
    raw_id_fields = ["spike", "change"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "medium", "phase", "status", "attempts", "created_at", "sent_at", "error"]
    list_filter = ["status", "medium", "phase"]
    raw_id_fields = ["subscriber", "event"]
    show_full_result_count = False


class ChannelDeliveryInline(admin.TabularInline):
    model = ChannelDelivery
    extra = 0
    fields = ["event", "status", "attempts", "response_status", "error", "last_attempt_at"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NewsroomChannel)
class NewsroomChannelAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "category", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["services"]
    readonly_fields = ["secret", "consecutive_failures", "disabled_at"]
    inlines = [ChannelDeliveryInline]
