"""One shape for every API error.

Every 4xx from the API has the body {"detail": "<one sentence>", "errors": {...}}:
`detail` says what went wrong for a person, `errors` maps each offending field to
its messages (empty when the problem is not about a field).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or {}}


def validation_summary(errors: dict[str, list[str]]) -> str:
    """ "problem: 'x' is not ...; region: ..." — the field messages as one sentence."""
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())


def exception_handler(exc: Exception, context: dict) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
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
