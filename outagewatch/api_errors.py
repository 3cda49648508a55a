"""One shape for every API error.

Every error from the API has the body {"detail": "<one sentence>", "errors": {...}}:
`detail` says what went wrong for a person, `errors` maps each offending field or
parameter to its messages (empty when the problem is not about one). That holds
for the 4xx the views mean to give, and for anything else: an exception escaping a
DRF view (`exception_handler`) or a plain view, or a URL under /api/ that names
nothing (`server_error` and `not_found`, the project's handler500 and handler404),
is a JSON 500 or 404 in the same shape, never an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import Error as DatabaseLayerError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
SERVER_ERROR = "Something went wrong on our side; it has been logged. Please try again later."


def error_body(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or {}}


def validation_summary(errors: dict[str, list[str]]) -> str:
    """ "problem: 'x' is not ...; region: ..." — the field messages as one sentence."""
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())


class Throttled(exceptions.Throttled):
    """A 429 whose detail is ours alone: DRF's own appends "Expected available in N
    seconds." to a message that already says when to try again."""

    def __init__(self, detail: str, wait: int):
        super().__init__()
        self.detail = exceptions.ErrorDetail(detail, code=self.default_code)
        self.wait = wait


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DatabaseLayerError):
        # Not answered here: it goes on to Django's handling like any plain view's,
        # where the read replica's middleware runs the view again on the primary when
        # it was the replica that failed (outagewatch/dbrouter.py), and handler500
        # (`server_error`) gives the same JSON 500 otherwise.
        return None
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an exception a view means to raise: a bug. Logged with its traceback
        # (as Django logs a 500), answered in the API's shape.
        request = context.get("request")
        logger.error(
            "Internal Server Error: %s",
            getattr(request, "path", "?"),
            exc_info=exc,
            extra={"status_code": 500},
        )
        return Response(error_body(SERVER_ERROR), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        errors = {
            field: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for field, messages in response.data.items()
        }
        response.data = error_body(validation_summary(errors), errors)
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body(
            f"The body is not valid JSON ({exc.detail}). Send a JSON object such as "
            '{"service": "whatsapp", "problem": "messages", "region": "US"}.'
        )
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = error_body(
            f"{exc.detail} Send the report as JSON with the header Content-Type: application/json."
        )
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = error_body(str(response.data["detail"]))
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" in response:
        response.data["retry_after"] = int(response["Retry-After"])
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON in the error shape under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(SERVER_ERROR), status=500)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON in the error shape under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        detail = f"There is no API endpoint at {request.path[:200]}; see /api/v1/docs/ for those there are."
        return JsonResponse(error_body(detail), status=404)
    return defaults.page_not_found(request, exception)
