"""Newsroom channels: which channels an event reaches, the message each kind is
sent, and one attempt of one delivery.

Each kind gets its documented shape, kept within its limits:

- Slack incoming webhooks: `text` (the notification fallback) and Block Kit
  blocks; a header's text at most 150 characters, a section's 3,000, at most 10
  fields of 2,000 each, 50 blocks.
- Discord webhooks: `content` at most 2,000 characters, at most 10 embeds (we
  send one): title 256, description 4,096, at most 25 fields (name 256, value
  1,024), footer 2,048, 6,000 characters over the whole embed; mentions off.
- Microsoft Teams Workflows ("When a Teams webhook request is received"): a
  message with one Adaptive Card attachment (version 1.4), under Teams' 28 KB.
- Webhook: our JSON envelope, signed like the partner webhooks.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from alerts import content, outbound
from alerts.models import (
    OPENINGS,
    AlertEvent,
    ChannelDelivery,
    ChannelKind,
    NewsroomChannel,
    NotificationStatus,
    Phase,
)
from partners import signing
from partners.models import Scope
from partners.webhooks import spike_payload

logger = logging.getLogger(__name__)

EVENT_TYPES = {
    Phase.DETECTED: "alert.detected",
    Phase.CONFIRMED: "alert.confirmed",
    Phase.RESOLVED: "alert.resolved",
    Phase.DISMISSED: "alert.dismissed",
}
COLOURS = {
    Phase.DETECTED: 0xC62828,
    Phase.CONFIRMED: 0xAD1457,
    Phase.RESOLVED: 0x2E7D32,
    Phase.DISMISSED: 0x616161,
}
TEAMS_MAX_BYTES = 28 * 1024


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- who gets what --------------------------------------------------------------------


def matches(channel: NewsroomChannel, event: AlertEvent) -> bool:
    spike = event.spike
    if spike.region not in channel.region_codes:
        return False
    if channel.category and spike.service.category != channel.category:
        return False
    services = {s.pk for s in channel.services.all()}
    return not services or spike.service_id in services


def fan_out(event: AlertEvent) -> list[int]:
    """Deliveries of the event to the channels it concerns; closings only to the
    channels that were sent an opening of the same spike. Safe to run twice."""
    channels = (
        NewsroomChannel.objects.filter(is_active=True, key__revoked_at__isnull=True)
        .select_related("key")
        .prefetch_related("services")
    )
    if event.phase not in OPENINGS:
        told = ChannelDelivery.objects.filter(
            event__spike_id=event.spike_id, event__phase__in=OPENINGS
        ).exclude(status=NotificationStatus.FAILED)
        channels = channels.filter(pk__in=told.values("channel_id"))
    made = []
    for channel in channels:
        if channel.key.has_scope(Scope.NEWSROOM) and matches(channel, event):
            try:
                with transaction.atomic():
                    made.append(ChannelDelivery.objects.create(channel=channel, event=event).pk)
            except IntegrityError:  # already made: the outbox ran twice
                pass
    return made


# --- the messages ---------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(alert: content.Alert) -> dict:
    summary = alert.summary("UTC")
    fields = [
        {"type": "mrkdwn", "text": _cut(f"*{_slack_escape(label)}*\n{_slack_escape(value)}", 2000)}
        for label, value in alert.facts("UTC")
    ][:10]
    return {
        "text": _cut(f"{alert.title}: {summary}", 3000),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": _cut(alert.title, 150), "emoji": False},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_slack_escape(summary), 3000)}},
            {"type": "section", "fields": fields},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the outage page"},
                        "url": alert.url,
                    }
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"outagewatch · {alert.disclaimer}"}],
            },
        ],
        "unfurl_links": False,
    }


_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()-])")


def _discord_escape(text: str) -> str:
    return _DISCORD_MARKDOWN.sub(r"\\\1", text)


def discord_message(alert: content.Alert, at: datetime) -> dict:
    embed = {
        "title": _cut(alert.title, 256),
        "url": alert.url,
        "description": _cut(_discord_escape(alert.summary("UTC")), 4096),
        "color": COLOURS[alert.phase],
        "fields": [
            {"name": _cut(label, 256), "value": _cut(_discord_escape(value), 1024), "inline": len(value) < 40}
            for label, value in alert.facts("UTC")
        ][:25],
        "footer": {"text": f"outagewatch · {alert.disclaimer}"},
        "timestamp": at.isoformat(),
    }
    # Discord refuses an embed whose texts add up past 6,000 characters: drop
    # fields from the end until it fits (ours are far below it).
    while _embed_size(embed) > 6000 and embed["fields"]:
        embed["fields"].pop()
    return {
        "username": "outagewatch",
        "content": _cut(_discord_escape(alert.title), 2000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def _embed_size(embed: dict) -> int:
    texts = [embed["title"], embed["description"], embed["footer"]["text"]]
    texts += [f["name"] + f["value"] for f in embed["fields"]]
    return sum(len(t) for t in texts)


def teams_message(alert: content.Alert) -> dict:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": alert.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": alert.summary("UTC"), "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in alert.facts("UTC")],
            },
            {"type": "TextBlock", "text": alert.disclaimer, "isSubtle": True, "size": "Small", "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open the outage page", "url": alert.url}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def webhook_message(event: AlertEvent, alert: content.Alert, at: datetime) -> dict:
    return {
        "type": EVENT_TYPES[event.phase],
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "data": {
            "title": alert.title,
            "summary": alert.summary("UTC"),
            "url": alert.url,
            "note": alert.note,
            "spike": spike_payload(event.spike),
        },
    }


def test_alert() -> content.Alert:
    """What a channel's test message shows."""
    now = timezone.now()
    return content.Alert(
        phase=Phase.DETECTED,
        subject="Example Service",
        service_names=("Example Service",),
        region="",
        region_name="",
        level="Problems detected",
        started_at=now,
        ended_at=None,
        countries=("India", "Brazil"),
        problems=(("Login", 64), ("Pictures", 21)),
        confirmed_by="",
        note="A test message from outagewatch: this channel is set up right.",
        related_to="",
        url=settings.SITE_URL + "/",
    )


def body_for(channel: NewsroomChannel, event: AlertEvent | None, at: datetime) -> bytes:
    alert = content.build(event) if event else test_alert()
    if channel.kind == ChannelKind.SLACK:
        message = slack_message(alert)
    elif channel.kind == ChannelKind.DISCORD:
        message = discord_message(alert, at)
    elif channel.kind == ChannelKind.TEAMS:
        message = teams_message(alert)
    elif event is None:
        message = {
            "type": "test",
            "created_at": at.isoformat(),
            "data": {"title": alert.title, "note": alert.note},
        }
    else:
        message = webhook_message(event, alert, at)
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    assert channel.kind != ChannelKind.TEAMS or len(body) < TEAMS_MAX_BYTES
    return body


# --- one attempt ----------------------------------------------------------------------


def signature_headers(channel: NewsroomChannel, delivery: ChannelDelivery, body: bytes) -> dict[str, str]:
    """A webhook channel's deliveries are signed as the partner webhooks are
    (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature)."""
    return signing.sign(channel.secret, f"alert-{delivery.pk}", body)


def deliver(delivery_id: int) -> str:
    """POST one delivery; returns its status ("pending": try again later)."""
    delivery = ChannelDelivery.objects.select_related(
        "channel__key", "event__spike__service", "event__spike__related_to__service"
    ).get(pk=delivery_id)
    channel = delivery.channel
    if delivery.status != NotificationStatus.PENDING:
        return delivery.status
    if not channel.is_active or channel.key.is_revoked:
        return _finish(delivery, NotificationStatus.FAILED, None, "the channel is off or its key revoked")
    now = timezone.now()
    body = body_for(channel, delivery.event, now)
    headers = {"Content-Type": "application/json"}
    if channel.kind == ChannelKind.WEBHOOK:
        headers.update(signature_headers(channel, delivery, body))
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        answer = outbound.post(channel.url, body, headers)
    except outbound.Refused as refused:
        return _failed(delivery, None, str(refused), final=True)
    except OSError as trouble:
        return _failed(delivery, None, f"no answer: {type(trouble).__name__}: {trouble}"[:200])
    if 200 <= answer.status < 300:
        NewsroomChannel.objects.filter(pk=channel.pk).update(consecutive_failures=0)
        return _finish(delivery, NotificationStatus.SENT, answer.status, "")
    detail = answer.body[:120].decode(errors="replace")
    # A 4xx other than 429 means the receiver refuses this message as it is: retrying won't help.
    final = 400 <= answer.status < 500 and answer.status != 429
    return _failed(delivery, answer.status, f"HTTP {answer.status}: {detail}", final=final)


def _failed(delivery: ChannelDelivery, status: int | None, error: str, final: bool = False) -> str:
    logger.info("alert channel delivery %s failed: %s", delivery.pk, error)
    channel = delivery.channel
    NewsroomChannel.objects.filter(pk=channel.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    switched_off = NewsroomChannel.objects.filter(
        pk=channel.pk, is_active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER
    ).update(is_active=False, disabled_at=timezone.now())
    if final or switched_off or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _finish(delivery, NotificationStatus.FAILED, status, error)
    return _finish(delivery, NotificationStatus.PENDING, status, error)


def _finish(delivery: ChannelDelivery, status: str, response_status: int | None, error: str) -> str:
    delivery.status = status
    delivery.response_status = response_status
    delivery.error = error[:200]
    delivery.save(update_fields=["status", "response_status", "error", "attempts", "last_attempt_at"])
    return status
