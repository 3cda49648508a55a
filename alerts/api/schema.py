"""OpenAPI descriptions and examples of the alert-channel endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view

from alerts.api.serializers import ChannelTestSerializer, NewsroomChannelSerializer
from partners.api.schema import ErrorSerializer

CHANNEL = {
    "id": 7,
    "name": "#outages",
    "kind": "slack",
    "url": "https://hooks.slack.com/services/T000/B000/XXXX",
    "services": [],
    "category": "messaging",
    "regions": ["all"],
    "secret": "9f2c…",
    "is_active": True,
    "consecutive_failures": 0,
    "disabled_at": None,
    "created_at": "2026-03-04T12:00:00Z",
}


def _error(description: str, detail: str, errors: dict | None = None) -> OpenApiResponse:
    example = OpenApiExample(description, {"detail": detail, "errors": errors or {}}, response_only=True)
    return OpenApiResponse(ErrorSerializer, description=description, examples=[example])


AUTH = {
    401: _error("No key, or an unknown or revoked one", "Authentication credentials were not provided."),
    403: _error(
        "Key without the newsroom scope", "Alert channels need an API key with the 'newsroom' scope."
    ),
    429: _error("Rate limit or daily quota reached", "Rate limit of 600 requests a minute reached."),
}
NOT_FOUND = {404: _error("No such channel", "No NewsroomChannel matches the given query.")}
BAD_URL = {
    400: _error(
        "Bad url",
        "url: The host 'intranet.local' resolves to 10.0.0.5, a private address; only public addresses can be reached.",
        {
            "url": [
                "The host 'intranet.local' resolves to 10.0.0.5, a private address; only public addresses can be reached."
            ]
        },
    )
}


def _channel(description: str = "The channel") -> OpenApiResponse:
    return OpenApiResponse(
        NewsroomChannelSerializer,
        description=description,
        examples=[OpenApiExample("Example", CHANNEL, response_only=True)],
    )


def newsroom_channels(cls):
    return extend_schema_view(
        list=extend_schema(
            summary="Your alert channels",
            responses={
                200: OpenApiResponse(
                    NewsroomChannelSerializer(many=True),
                    examples=[OpenApiExample("Example", CHANNEL, response_only=True)],
                ),
                **AUTH,
            },
        ),
        create=extend_schema(
            summary="Add an alert channel",
            description="Outages at 'problems detected' (then confirmed, resolved or dismissed) of any "
            "service, of a category, or of a list of services, sent as a Slack or Discord message, a "
            "Microsoft Teams Adaptive Card, or a signed JSON webhook. See docs/alerts.md.",
            examples=[
                OpenApiExample(
                    "Every messaging outage, worldwide, to Slack",
                    {"kind": "slack", "url": CHANNEL["url"], "category": "messaging"},
                    request_only=True,
                ),
                OpenApiExample(
                    "Two services in India or worldwide, to Discord",
                    {
                        "kind": "discord",
                        "url": "https://discord.com/api/webhooks/123/abc",
                        "services": ["whatsapp", "instagram"],
                        "regions": ["IN", "all"],
                    },
                    request_only=True,
                ),
            ],
            responses={201: _channel(), **BAD_URL, **AUTH},
        ),
        retrieve=extend_schema(
            summary="One of your alert channels", responses={200: _channel(), **NOT_FOUND, **AUTH}
        ),
        partial_update=extend_schema(
            summary="Change an alert channel (is_active: true switches it back on)",
            responses={200: _channel(), **BAD_URL, **NOT_FOUND, **AUTH},
        ),
        destroy=extend_schema(summary="Remove an alert channel", responses={204: None, **NOT_FOUND, **AUTH}),
        test=extend_schema(
            summary="Send a test message to an alert channel",
            request=None,
            responses={
                200: OpenApiResponse(
                    ChannelTestSerializer,
                    description="How the channel took it",
                    examples=[
                        OpenApiExample(
                            "Example",
                            {"status": "sent", "response_status": 200, "error": ""},
                            response_only=True,
                        )
                    ],
                ),
                **NOT_FOUND,
                **AUTH,
            },
        ),
    )(cls)
