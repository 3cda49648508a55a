"""Webhook events and their delivery.

Events come from an outbox, not from the detector: `collect_events` turns new
SpikeChange rows (opened, level changed, resolved, confirmed, dismissed), new
Incident rows and new ProviderIncidentChange rows (a provider's incident opened,
updated, resolved) into WebhookEvent rows, and each event into one WebhookDelivery per matching endpoint.
The detector does not know webhooks exist, a slow receiver can never slow a
detection pass, and running the outbox twice creates nothing twice (an event is
unique per change or incident, a delivery per event and endpoint).

`deliver` makes one attempt of one delivery; the Celery task around it retries
with exponential backoff and jitter.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from outagewatch import safehttp
from outagewatch.times import iso_utc
from partners import outbound, signing
from partners.models import (
    DeliveryStatus,
    EventKind,
    OutboxCursor,
    Scope,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from spikes.models import Incident, Level, Spike, SpikeChange
from statuspages.models import ProviderIncident, ProviderIncidentChange

logger = logging.getLogger(__name__)

CHANGE_EVENTS = {
    SpikeChange.Kind.OPENED: EventKind.SPIKE_OPENED,
    SpikeChange.Kind.LEVEL_CHANGED: EventKind.SPIKE_LEVEL_CHANGED,
    SpikeChange.Kind.RESOLVED: EventKind.SPIKE_RESOLVED,
    SpikeChange.Kind.CONFIRMED: EventKind.SPIKE_CONFIRMED,
    SpikeChange.Kind.DISMISSED: EventKind.SPIKE_DISMISSED,
}
PROVIDER_EVENTS = {
    ProviderIncidentChange.Kind.OPENED: EventKind.PROVIDER_INCIDENT_OPENED,
    ProviderIncidentChange.Kind.UPDATED: EventKind.PROVIDER_INCIDENT_UPDATED,
    ProviderIncidentChange.Kind.RESOLVED: EventKind.PROVIDER_INCIDENT_RESOLVED,
}
# The outbox looks again at ids above the highest it had seen this many runs ago
# (a run a minute): longer than the 120 s a detection transaction may take, so a
# change committed late with a lower id is not skipped (see OutboxCursor).
LOOKBACK_RUNS = 5
LEVEL_ORDER = {Level.WARNING: 1, Level.DANGER: 2}
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 3600


def spike_payload(spike: Spike) -> dict:
    # The spike's one JSON form, and the service's answer to "is it down?" as the
    # event happens, as the site shows it.
    return spike.as_json() | {"service_status": Spike.objects.status_for(spike.service_id).as_dict()}


def incident_payload(incident: Incident) -> dict:
    return {
        "id": incident.pk,
        "kind": incident.kind,
        "group": incident.group.slug if incident.group_id else None,
        "started_at": iso_utc(incident.started_at),
        "services": sorted({s.service.slug for s in incident.spikes.all()}),
    }


def provider_incident_payload(incident: ProviderIncident) -> dict:
    latest = max(incident.updates.all(), key=lambda u: (u.at, u.pk), default=None)
    return {
        "id": incident.pk,
        "service": incident.service.slug,
        "service_name": incident.service.name,
        "source": incident.source.name,
        "kind": "maintenance" if incident.is_maintenance else "incident",
        "title": incident.title,
        "status": incident.status,
        "impact": incident.impact,
        "components": incident.components,
        "regions": incident.regions,
        "started_at": iso_utc(incident.started_at),
        "acknowledged_at": iso_utc(incident.acknowledged_at),
        "resolved_at": iso_utc(incident.resolved_at),
        "url": incident.url,
        "latest_update": None
        if latest is None
        else {"at": iso_utc(latest.at), "status": latest.status, "body": latest.body},
        "spikes": sorted(m.spike_id for m in incident.matches.all()),
    }


def envelope(kind: str, at: datetime, data: dict) -> dict:
    return {"type": kind, "created_at": iso_utc(at), "data": data}


# --- outbox ------------------------------------------------------------------------


def _floor(recent: list[int]) -> int:
    return recent[0] if recent else 0


def _advance(recent: list[int], seen: int) -> list[int]:
    return [*recent, seen][-LOOKBACK_RUNS:]


def collect_events(now: datetime | None = None) -> list[int]:
    """Turn new spike changes and incidents into events and deliveries; returns the
    ids of the deliveries created, for the caller to send once committed."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor, created = OutboxCursor.objects.select_for_update().get_or_create(pk=1)
        if created:
            # The first run starts from now: history from before webhooks existed is not news.
            top_change = SpikeChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            top_incident = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            top_provider = (
                ProviderIncidentChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            )
            cursor.recent_change_ids, cursor.recent_incident_ids = [top_change], [top_incident]
            cursor.recent_provider_change_ids = [top_provider]
            cursor.save()
            return []
        events: list[WebhookEvent] = []
        changes = (
            SpikeChange.objects.filter(
                pk__gt=_floor(cursor.recent_change_ids),
                kind__in=list(CHANGE_EVENTS),
                webhook_event__isnull=True,
            )
            .select_related("spike__service")
            .order_by("pk")
        )
        top_change = max(cursor.recent_change_ids or [0])
        for change in changes:
            top_change = max(top_change, change.pk)
            kind = CHANGE_EVENTS[change.kind]
            events.append(
                WebhookEvent.objects.create(
                    kind=kind,
                    spike=change.spike,
                    change=change,
                    payload=envelope(kind, change.at, spike_payload(change.spike)),
                )
            )
        incidents = (
            Incident.objects.filter(pk__gt=_floor(cursor.recent_incident_ids), webhook_event__isnull=True)
            .select_related("group")
            .prefetch_related("spikes__service")
            .order_by("pk")
        )
        top_incident = max(cursor.recent_incident_ids or [0])
        for incident in incidents:
            top_incident = max(top_incident, incident.pk)
            kind = EventKind.INCIDENT_OPENED
            events.append(
                WebhookEvent.objects.create(
                    kind=kind,
                    incident=incident,
                    payload=envelope(kind, incident.created_at, incident_payload(incident)),
                )
            )
        provider_changes = (
            ProviderIncidentChange.objects.filter(
                pk__gt=_floor(cursor.recent_provider_change_ids), webhook_event__isnull=True
            )
            .select_related("incident__service", "incident__source")
            .prefetch_related("incident__updates", "incident__matches")
            .order_by("pk")
        )
        top_provider_change = max(cursor.recent_provider_change_ids or [0])
        for change in provider_changes:
            top_provider_change = max(top_provider_change, change.pk)
            kind = PROVIDER_EVENTS[change.kind]
            events.append(
                WebhookEvent.objects.create(
                    kind=kind,
                    provider_change=change,
                    payload=envelope(kind, change.at, provider_incident_payload(change.incident)),
                )
            )
        cursor.recent_provider_change_ids = _advance(cursor.recent_provider_change_ids, top_provider_change)
        cursor.recent_change_ids = _advance(cursor.recent_change_ids, top_change)
        cursor.recent_incident_ids = _advance(cursor.recent_incident_ids, top_incident)
        cursor.save()
        return [d.pk for event in events for d in fan_out(event)]


def receiving_endpoints() -> list[WebhookEndpoint]:
    """Active endpoints of keys that are not revoked and may receive webhooks.
    Scopes are checked in Python: there are few endpoints, and SQLite cannot
    search inside a JSON list."""
    endpoints = (
        WebhookEndpoint.objects.filter(is_active=True, key__revoked_at__isnull=True)
        .select_related("key")
        .prefetch_related("services", "groups")
    )
    return [e for e in endpoints if e.key.has_scope(Scope.WEBHOOKS)]


def matches(endpoint: WebhookEndpoint, event: WebhookEvent) -> bool:
    """Whether the endpoint's filters (empty: any) let the event through."""
    if event.kind == EventKind.TEST:
        return True
    if event.kind == EventKind.INCIDENT_OPENED:
        services = {s.service for s in event.incident.spikes.all()} if event.incident else set()
    elif event.kind in PROVIDER_EVENTS.values():
        # The provider's word has no level; its regions, when it names some, are filtered on.
        incident = event.provider_change.incident if event.provider_change else None
        if incident is None:
            return False
        services = {incident.service}
        if endpoint.regions and incident.regions and not set(incident.regions) & set(endpoint.regions):
            return False
    else:
        spike = event.spike
        if spike is None:
            return False
        services = {spike.service}
        region = spike.region or "all"
        if endpoint.regions and region not in endpoint.regions:
            return False
        if LEVEL_ORDER.get(spike.level, 0) < LEVEL_ORDER[endpoint.min_level]:
            return False
    wanted_services = set(endpoint.services.all())
    wanted_groups = {g.pk for g in endpoint.groups.all()}
    if not (wanted_services or wanted_groups):
        return True
    return any(s in wanted_services or s.group_id in wanted_groups for s in services)


def fan_out(event: WebhookEvent, endpoints: Iterable[WebhookEndpoint] | None = None) -> list[WebhookDelivery]:
    deliveries = []
    for endpoint in receiving_endpoints() if endpoints is None else endpoints:
        if matches(endpoint, event):
            try:
                with transaction.atomic():
                    deliveries.append(WebhookDelivery.objects.create(event=event, endpoint=endpoint))
            except IntegrityError:  # already there: the outbox ran twice
                pass
    return deliveries


def test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A "test" event for one endpoint, to check a receiver and its signature check."""
    now = timezone.now()
    event = WebhookEvent.objects.create(
        kind=EventKind.TEST,
        payload=envelope(
            EventKind.TEST, now, {"message": "A test event from outagewatch.", "endpoint": endpoint.pk}
        ),
    )
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint)


# --- delivery ----------------------------------------------------------------------


def backoff_seconds(attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: uniform between half and all of
    base * 2^attempt, capped at an hour. The jitter spreads the retries of many
    deliveries that failed together; the lower half-bound keeps the backoff real."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
    return (rng or random).uniform(ceiling / 2, ceiling)


def deliver(delivery_id: int) -> str:
    """One attempt: POST the signed event, log the outcome, count the endpoint's
    failures (switching it off after WEBHOOK_DISABLE_AFTER in a row). Returns the
    delivery's status; "pending" means it should be tried again."""
    delivery = WebhookDelivery.objects.select_related("event", "endpoint__key").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if delivery.status != DeliveryStatus.PENDING:
        return delivery.status
    if not endpoint.is_active:
        return _finish(delivery, DeliveryStatus.FAILED, error="the endpoint is switched off")
    if endpoint.key.is_revoked:
        return _finish(delivery, DeliveryStatus.FAILED, error="the partner key was revoked")
    body = json.dumps(delivery.event.payload, separators=(",", ":")).encode()
    msg_id = str(delivery.pk)
    headers = {
        "Content-Type": "application/json",
        "X-Outagewatch-Event": delivery.event.kind,
        "X-Outagewatch-Delivery": msg_id,
        **signing.sign(endpoint.secret, msg_id, body),
    }
    if endpoint.legacy_signature:
        headers[signing.LEGACY_HEADER] = signing.legacy_sign(endpoint.secret, body)
    started = time.monotonic()
    status, error = None, ""
    try:
        # Resolved once, every address checked, the checked one dialled; a redirect
        # is an answer like any other (not followed: it could lead anywhere, and
        # would turn the POST into a GET).
        response = safehttp.request(
            "POST", endpoint.url, body=body, headers=headers, policy=outbound.policy()
        )
        status = response.status
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except safehttp.Refused as refused:
        error = f"refused: {refused}"
    except (safehttp.OutboundError, OSError, http.client.HTTPException) as failed:
        error = f"{type(failed).__name__}: {failed}"
    error = error[:300]
    delivery.attempts += 1
    delivery.response_status = status
    delivery.duration_ms = round((time.monotonic() - started) * 1000)
    delivery.last_attempt_at = timezone.now()
    if status is not None and 200 <= status < 300:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return _finish(delivery, DeliveryStatus.DELIVERED, error="")
    logger.info("webhook delivery %s to %s failed: %s", delivery.pk, endpoint.url, error)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    switched_off = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, is_active=True, consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER
    ).update(is_active=False, disabled_at=timezone.now())
    if switched_off or delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        return _finish(delivery, DeliveryStatus.FAILED, error=error)
    return _finish(delivery, DeliveryStatus.PENDING, error=error)


def _finish(delivery: WebhookDelivery, status: str, error: str) -> str:
    delivery.status = status
    delivery.error = error
    delivery.save(
        update_fields=["status", "error", "attempts", "response_status", "duration_ms", "last_attempt_at"]
    )
    return status
