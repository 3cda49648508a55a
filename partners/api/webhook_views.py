"""Partners manage their own webhook endpoints with a key that has the webhooks scope."""

from __future__ import annotations

from rest_framework import mixins, permissions
from rest_framework.request import Request

from partners.api.authentication import PartnerKeyAuthentication
from partners.api.base import PartnerBaseViewSet
from partners.api.schema import webhook_endpoints
from partners.api.serializers_webhooks import WebhookEndpointSerializer
from partners.models import Scope, WebhookEndpoint
from reports.api.parsers import StrictJSONParser


class HasWebhooksScope(permissions.BasePermission):
    message = "Webhook endpoints need an API key with the 'webhooks' scope (send it as Authorization: Bearer <key>)."

    def has_permission(self, request: Request, view) -> bool:
        return request.auth is not None and request.auth.has_scope(Scope.WEBHOOKS)


@webhook_endpoints
class WebhookEndpointViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    PartnerBaseViewSet,
):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasWebhooksScope]
    serializer_class = WebhookEndpointSerializer
    parser_classes = [StrictJSONParser]
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        # A key sees and changes only its own endpoints; others' are a 404.
        return WebhookEndpoint.objects.filter(key=self.request.auth).prefetch_related("services", "groups")

    def perform_create(self, serializer) -> None:
        serializer.save(key=self.request.auth)
