from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import intake
from reports.api.parsers import StrictJSONParser
from reports.api.serializers import accepted_report
from reports.clients import client_from_request
from reports.models import Source


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class ReportCreateView(APIView):
    """POST /api/v1/reports/: file a problem report; 201 means it is committed."""

    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="File a problem report",
        request=inline_serializer(
            "ReportRequest",
            {
                "service": serializers.SlugField(help_text="A service slug, see /api/v1/services/"),
                "problem": serializers.SlugField(help_text="One of the service's problem_types"),
                "region": serializers.CharField(help_text="ISO 3166-1 alpha-2 code"),
                "comment": serializers.CharField(required=False, max_length=280),
            },
        ),
        responses={
            201: OpenApiResponse(
                inline_serializer(
                    "AcceptedReport",
                    {
                        "id": serializers.IntegerField(),
                        "service": serializers.SlugField(),
                        "problem": serializers.SlugField(),
                        "region": serializers.CharField(),
                        "comment": serializers.CharField(),
                        "source": serializers.CharField(),
                        "created_at": serializers.DateTimeField(),
                        "is_repeat": serializers.BooleanField(),
                    },
                ),
                description="Stored",
            ),
            400: OpenApiResponse(description="Invalid report; the body says what is wrong"),
            413: OpenApiResponse(description="Body too large"),
            415: OpenApiResponse(description="Not JSON"),
            429: OpenApiResponse(description="Too many reports from this address"),
        },
        examples=[
            OpenApiExample(
                "A report",
                {"service": "whatsapp", "problem": "pictures", "region": "IN", "comment": "Photos stuck"},
                request_only=True,
            ),
            OpenApiExample(
                "Stored",
                {"id": 1, "service": "whatsapp", "problem": "pictures", "region": "IN", "comment": "Photos stuck",
                 "source": "api", "created_at": "2026-03-05T17:43:10Z", "is_repeat": False},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        client = client_from_request(request)
        try:
            intake.check_rate_limit(client)
        except intake.RateLimited as limited:
            raise exceptions.Throttled(
                wait=limited.retry_after,
                detail=f"Too many reports from your address. Try again in {limited.retry_after} seconds.",
            ) from None
        self._check_size(request)
        data = request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": [f"The body must be a JSON object, not a JSON {_json_type(data)}."]}
            )
        try:
            valid = intake.validate_report(data)
        except intake.InvalidReport as invalid:
            raise exceptions.ValidationError(invalid.errors) from None
        report = intake.file_report(valid, client, Source.API)
        return Response(accepted_report(report, valid), status=status.HTTP_201_CREATED)

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
