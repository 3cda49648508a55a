from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outagewatch.api_errors import error_body
from reports import intake
from reports.api.parsers import StrictJSONParser
from reports.api.serializers import accepted_report
from reports.clients import client_from_request
from reports.models import Source


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class ReportCreateView(APIView):
    """POST /api/v1/reports/: file a problem report; 201 means it is durably accepted
    (committed, or in the persistent stream on its way to the database)."""

    parser_classes = [StrictJSONParser]

    def post(self, request: Request) -> Response:
        try:
            return self._accept(request)
        except intake.Unavailable as down:
            return Response(
                error_body(
                    "Reports cannot be accepted at the moment (the database is unavailable); nothing "
                    f"was stored. Please send the report again in {down.retry_after} seconds."
                ),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(down.retry_after)},
            )

    def _accept(self, request: Request) -> Response:
        client = client_from_request(request)
        try:
            try:
                valid = self._validate(request)
            except (exceptions.ValidationError, exceptions.ParseError, PayloadTooLarge):
                intake.check_rate_limit(client)  # bad requests count towards the limit too
                raise
            accepted = intake.accept_report(valid, client, Source.API)
        except intake.RateLimited as limited:
            raise exceptions.Throttled(
                wait=limited.retry_after,
                detail=f"Too many reports from your address. Try again in {limited.retry_after} seconds.",
            ) from None
        return Response(accepted_report(accepted, valid), status=status.HTTP_201_CREATED)

    def _validate(self, request: Request) -> intake.ValidReport:
        self._check_size(request)
        data = request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": [f"The body must be a JSON object, not a JSON {_json_type(data)}."]}
            )
        try:
            return intake.validate_report(data)
        except intake.InvalidReport as invalid:
            raise exceptions.ValidationError(invalid.errors) from None

    @staticmethod
    def _check_size(request: Request) -> None:
        limit = settings.REPORT_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise PayloadTooLarge(f"The body is {length} bytes; a report may be at most {limit} bytes.")


def _json_type(value) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null"
    )
