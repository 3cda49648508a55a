"""POST /api/v1/reports/: a hand-made JSON view, the intake's hot path.

A plain Django view rather than a DRF APIView: on the hot path, DRF's content
negotiation, request wrapping and rendering cost about a quarter of the request's
CPU (docs/intake-load.md), and this endpoint takes one small JSON shape and gives
one back. Errors keep the API's one body shape ({"detail", "errors"}, see
outagewatch.api_errors) and its statuses: 400, 405, 413, 415, 429, 503.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from outagewatch.api_errors import error_body, validation_summary
from outagewatch.clients import client_from_request
from reports import intake
from reports.api.serializers import accepted_report
from reports.models import Source

_JSON_OPTIONS = {"ensure_ascii": False, "separators": (",", ":")}
ALLOWED_METHODS = "POST, OPTIONS"


class BadRequest(Exception):
    """A request this view refuses: its status, and the body saying why."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body["detail"])
        self.status, self.body, self.headers = status, body, headers or {}


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(body, status=status, headers=headers, json_dumps_params=_JSON_OPTIONS)


def _strict_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _parse(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object, or BadRequest (413, 415, 400) saying what is wrong."""
    limit = settings.REPORT_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise BadRequest(
            413, error_body(f"The body is {length} bytes; a report may be at most {limit} bytes.")
        )
    raw = request.body
    if not raw:
        return {}  # the missing fields are named by validation
    if request.content_type != "application/json":
        raise BadRequest(
            415,
            error_body(
                f'Unsupported media type "{request.META.get("CONTENT_TYPE", "")[:100]}" in request. '
                "Send the report as JSON with the header Content-Type: application/json."
            ),
        )
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_strict_constant)
    except RecursionError:  # json raises this, not ValueError, on deep nesting
        raise BadRequest(400, _not_json("JSON nested too deeply")) from None
    except ValueError as exc:  # also UnicodeDecodeError
        raise BadRequest(400, _not_json(f"JSON parse error - {exc}")) from None
    if not isinstance(data, dict):
        errors = {"non_field_errors": [f"The body must be a JSON object, not a JSON {_json_type(data)}."]}
        raise BadRequest(400, error_body(validation_summary(errors), errors))
    return data


def _not_json(why: str) -> dict[str, Any]:
    return error_body(
        f"The body is not valid JSON ({why}). Send a JSON object such as "
        '{"service": "whatsapp", "problem": "messages", "region": "US"}.'
    )


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null"
    )


def _too_many(retry_after: int) -> BadRequest:
    body = error_body(f"Too many reports from your address. Try again in {retry_after} seconds.")
    body["retry_after"] = retry_after
    return BadRequest(429, body, {"Retry-After": str(retry_after)})


@csrf_exempt  # an API for machines and scripts: no cookies, no session, nothing to forge
def report_create(request: HttpRequest) -> JsonResponse:
    """File a problem report; 201 means it is durably accepted (committed, or in the
    persistent stream on its way to the database: docs/intake-load.md)."""
    if request.method == "OPTIONS":
        response = JsonResponse({}, status=200)
        response["Allow"] = ALLOWED_METHODS
        return response
    if request.method != "POST":
        return _json(
            error_body(f'Method "{request.method}" not allowed: send the report with POST.'),
            405,
            {"Allow": ALLOWED_METHODS},
        )
    client = client_from_request(request)
    try:
        try:
            data = _parse(request)
            valid = intake.validate_report(data)
        except intake.InvalidReport as invalid:
            intake.check_rate_limit(client)  # bad requests count towards the limit too
            raise BadRequest(400, error_body(validation_summary(invalid.errors), invalid.errors)) from None
        except BadRequest:
            intake.check_rate_limit(client)
            raise
        accepted = intake.accept_report(valid, client, Source.API)
    except BadRequest as refused:
        return _json(refused.body, refused.status, refused.headers)
    except intake.RateLimited as limited:
        refused = _too_many(limited.retry_after)
        return _json(refused.body, refused.status, refused.headers)
    except intake.Unavailable as down:
        return _json(
            error_body(
                "Reports cannot be accepted at the moment (the database is unavailable); nothing "
                f"was stored. Please send the report again in {down.retry_after} seconds."
            ),
            503,
            {"Retry-After": str(down.retry_after)},
        )
    return _json(accepted_report(accepted, valid), 201)
