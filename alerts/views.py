"""The alerts' pages and the browser's JSON endpoints. Thin: parse, ask
alerts.following and alerts.links, render.

Pages that act (confirm, unsubscribe, stop following) act on POST only: mail
scanners open every link in a mail, and must not confirm or unsubscribe anyone.
The one exception is the RFC 8058 one-click POST a mail provider sends to the
List-Unsubscribe URL, which carries no cookie and so is exempt from CSRF: the
signed token is its authority.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError

from alerts import following, links, push
from alerts.forms import (
    HONEYPOT_FIELD,
    FollowForm,
    ManageLinkForm,
    PushFollowForm,
    PushKeysForm,
    TimeZoneForm,
    zone_names,
)
from alerts.mail import ONE_CLICK
from alerts.models import Follow, Medium, Subscriber
from alerts.tasks import send_confirmation, send_manage_link
from outagewatch.clients import client_from_request
from reports import ratelimit
from reports.models import Service

MAX_JSON_BYTES = 4096


def _bad_link(request: HttpRequest, error: links.BadLink) -> HttpResponse:
    status = 410 if isinstance(error, links.ExpiredLink) else 400
    return render(
        request, "alerts/bad_link.html", {"message": str(error), "expired": status == 410}, status=status
    )


def _too_many(
    request: HttpRequest, decision: ratelimit.RateDecision, template: str, context: dict
) -> HttpResponse:
    context["errors"] = [
        f"Too many requests from your connection. Please try again in {decision.retry_after} seconds."
    ]
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


# --- following by email ----------------------------------------------------------------


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    """The follow form's target. Whatever the address, the same answer: a
    confirmation mail is on its way (unless this address got too many lately)."""
    service = get_object_or_404(Service.objects.active().select_related("group"), slug=slug)
    form = FollowForm(request.POST, service=service)
    context = {"service": service, "form": form}
    if request.POST.get(HONEYPOT_FIELD):
        context["errors"] = ["This looks like an automated submission (a hidden field was filled in)."]
        return render(request, "alerts/follow_error.html", context, status=400)
    if not form.is_valid():
        context["errors"] = [e for errors in form.errors.values() for e in errors]
        return render(request, "alerts/follow_error.html", context, status=400)
    decision = following.client_may_ask_for_mail(client_from_request(request))
    if not decision.allowed:
        return _too_many(request, decision, "alerts/follow_error.html", context)
    email, region = form.cleaned_data["email"], form.cleaned_data["region"]
    group = form.cleaned_data["what"] == "group"
    ask = links.FollowRequest(
        email=email,
        service_id=None if group else service.pk,
        group_id=service.group_id if group else None,
        region=region,
        time_zone=timezone.get_current_timezone_name(),
    )
    if following.address_may_get_mail(email):
        target = following.Target(None if group else service, service.group if group else None, region)
        try:
            send_confirmation.delay(asdict(ask), target.describe())
        except (OperationalError, OSError):
            # The task queue is down: say so, rather than promise a mail.
            context["errors"] = ["We cannot send mail right now. Please try again in a minute."]
            response = render(request, "alerts/follow_error.html", context, status=503)
            response["Retry-After"] = "60"
            return response
    return redirect(f"{reverse('alerts-check-inbox')}?service={service.slug}", permanent=False)


@require_GET
def check_inbox(request: HttpRequest) -> HttpResponse:
    service = Service.objects.active().filter(slug=request.GET.get("service", "")[:60]).first()
    return render(
        request, "alerts/check_inbox.html", {"service": service, "hours": settings.ALERTS_CONFIRM_HOURS}
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ask = links.read_confirm_token(token)
        target = following.target_of(ask)
    except links.BadLink as error:
        return _bad_link(request, error)
    except LookupError as error:
        return _bad_link(request, links.BadLink(str(error)))
    context = {"what": target.describe(), "token": token}
    if request.method == "GET":
        return render(request, "alerts/confirm.html", context)
    try:
        subscriber, _, created = following.confirm(ask)
    except following.TooManyFollows as error:
        return render(request, "alerts/confirm.html", {**context, "errors": [str(error)]}, status=409)
    context.update(
        created=created, manage_url=reverse("alerts-manage", args=[links.manage_token(subscriber)])
    )
    return render(request, "alerts/confirmed.html", context)


# --- managing ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = links.read_manage_token(token)
    except links.BadLink as error:
        return _bad_link(request, error)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unfollow":
            follow_id = request.POST.get("follow", "")
            Follow.objects.filter(
                subscriber=subscriber, pk=int(follow_id) if follow_id.isdigit() else 0
            ).delete()
            return redirect("alerts-manage", token=token)
        if action == "time_zone":
            form = TimeZoneForm(request.POST)
            if form.is_valid():
                subscriber.time_zone = form.cleaned_data["time_zone"]
                subscriber.save(update_fields=["time_zone"])
                return redirect("alerts-manage", token=token)
            errors = [e for errs in form.errors.values() for e in errs]
        elif action == "unsubscribe":
            subscriber.unsubscribe()
            return redirect("alerts-unsubscribe", token=links.unsubscribe_token(subscriber))
        elif action == "resubscribe":
            subscriber.resubscribe()
            return redirect("alerts-manage", token=token)
        else:
            errors = ["That is not something this page can do."]
    context = {
        "subscriber": subscriber,
        "follows": following.follows_of(subscriber),
        "token": token,
        "errors": errors,
        "zone_names": sorted(zone_names()),
    }
    return render(request, "alerts/manage.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def manage_link(request: HttpRequest) -> HttpResponse:
    """Ask for a new manage link by address: the same answer whether or not the
    address follows anything."""
    form = ManageLinkForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs] if request.method == "POST" else []
        return render(
            request,
            "alerts/manage_link.html",
            {"form": form, "errors": errors},
            status=400 if errors else 200,
        )
    decision = following.client_may_ask_for_mail(client_from_request(request))
    if not decision.allowed:
        return _too_many(request, decision, "alerts/manage_link.html", {"form": form})
    email = form.cleaned_data["email"]
    subscriber = Subscriber.objects.filter(email=email, medium=Medium.EMAIL).first()
    if following.address_may_get_mail(email) and subscriber is not None and subscriber.is_active:
        try:
            send_manage_link.delay(subscriber.pk)
        except (OperationalError, OSError):
            response = render(
                request,
                "alerts/manage_link.html",
                {"form": form, "errors": ["We cannot send mail right now. Please try again in a minute."]},
                status=503,
            )
            response["Retry-After"] = "60"
            return response
    return render(request, "alerts/manage_link.html", {"sent": True})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button. POST: unsubscribed at once, from that button or from a
    mail provider's one-click request (body "List-Unsubscribe=One-Click")."""
    try:
        subscriber = links.read_unsubscribe_token(token)
    except links.BadLink as error:
        return _bad_link(request, error)
    if request.method == "POST":
        subscriber.unsubscribe()
        if request.POST.get("List-Unsubscribe") == ONE_CLICK.split("=", 1)[1]:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
    context = {
        "subscriber": subscriber,
        "token": token,
        "manage_token": links.manage_token(subscriber),
        "retention_days": settings.ALERTS_RETENTION_DAYS,
    }
    return render(request, "alerts/unsubscribe.html", context)


# --- following in a browser (JSON) -------------------------------------------------


def _json_error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, **({"errors": errors} if errors else {})}, status=status)


def _push_request(request: HttpRequest, limited: bool = True) -> tuple[dict | None, JsonResponse | None]:
    """The JSON body, flattened for PushFollowForm, or the 4xx to answer. Changes
    count against the client's limit; reading a browser's follows does not."""
    if request.content_type != "application/json":
        return None, _json_error(415, "Send JSON (Content-Type: application/json).")
    if len(request.body) > MAX_JSON_BYTES:
        return None, _json_error(413, f"The body is larger than {MAX_JSON_BYTES} bytes.")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None, _json_error(400, "The body is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("subscription"), dict):
        return None, _json_error(400, "subscription: send the browser's PushSubscription as JSON.")
    subscription = body["subscription"]
    keys = subscription.get("keys") if isinstance(subscription.get("keys"), dict) else {}
    flat = {k: body.get(k) for k in ("service", "group", "region", "time_zone")}
    flat.update(endpoint=subscription.get("endpoint"), p256dh=keys.get("p256dh"), auth=keys.get("auth"))
    if not all(isinstance(v, str | type(None)) for v in flat.values()):
        return None, _json_error(400, "Every field must be a string.")
    decision = following.client_may_follow_in_browser(client_from_request(request)) if limited else None
    if decision is not None and not decision.allowed:
        response = _json_error(429, f"Too many requests. Please try again in {decision.retry_after} seconds.")
        response["Retry-After"] = str(decision.retry_after)
        return None, response
    return flat, None


def _form_errors(form) -> JsonResponse:
    errors = {("subscription." if f in ("endpoint",) else "") + f: e for f, e in form.errors.items()}
    first = next(iter(errors.items()))
    return _json_error(400, f"{first[0]}: {first[1][0]}" if first[0] != "__all__" else first[1][0], errors)


@require_http_methods(["POST", "DELETE"])
def push_follows(request: HttpRequest) -> JsonResponse:
    """POST follows in this browser, DELETE stops following; both answer what it follows now."""
    data, refusal = _push_request(request)
    if refusal:
        return refusal
    form, keys = PushFollowForm(data), PushKeysForm(data)
    if not form.is_valid():
        return _form_errors(form)
    if not keys.is_valid():
        return _json_error(
            400, "subscription.keys: send the p256dh and auth keys of the subscription.", keys.errors
        )
    endpoint = form.cleaned_data["endpoint"]
    target = following.Target(
        form.cleaned_data["service"], form.cleaned_data["group"], form.cleaned_data["region"]
    )
    if request.method == "DELETE":
        subscriber = Subscriber.objects.filter(endpoint=endpoint, auth=keys.cleaned_data["auth"]).first()
        if subscriber is not None:
            following.unfollow(subscriber, target)
        return JsonResponse({"following": following.follows_of(subscriber) if subscriber else []})
    try:
        push.check_subscription(endpoint, keys.cleaned_data["p256dh"], keys.cleaned_data["auth"])
    except push.BadSubscription as bad:
        return _json_error(400, f"subscription.{bad.field}: {bad}", {f"subscription.{bad.field}": [str(bad)]})
    subscriber = following.push_subscriber(
        endpoint, keys.cleaned_data["p256dh"], keys.cleaned_data["auth"], form.cleaned_data["time_zone"]
    )
    try:
        following.follow_in_browser(subscriber, target)
    except following.TooManyFollows as error:
        return _json_error(409, str(error))
    return JsonResponse({"following": following.follows_of(subscriber)}, status=201)


@require_POST
def push_status(request: HttpRequest) -> JsonResponse:
    """What this browser follows (it proves it is the browser with its auth secret)."""
    data, refusal = _push_request(request, limited=False)
    if refusal:
        return refusal
    subscriber = Subscriber.objects.filter(
        endpoint=data.get("endpoint") or "", auth=data.get("auth") or "-"
    ).first()
    return JsonResponse({"following": following.follows_of(subscriber) if subscriber else []})


@cache
def _service_worker() -> bytes:
    with open(finders.find("alerts/sw.js"), "rb") as script:
        return script.read()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from our static files, at a path whose scope (/alerts/)
    covers nothing but the alerts; no-cache, so an update reaches browsers at once."""
    response = HttpResponse(_service_worker(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/alerts/"
    return response
