"""Newsroom channels over the partner API: a key with the "newsroom" scope
manages its own channels and can send a test message to one."""

from __future__ import annotations

from rest_framework import mixins, permissions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import channels
from alerts.api.schema import newsroom_channels
from alerts.api.serializers import ChannelTestSerializer, NewsroomChannelSerializer
from alerts.models import ChannelDelivery, NewsroomChannel
from partners.api.authentication import PartnerKeyAuthentication
from partners.api.base import PartnerBaseViewSet
from partners.models import Scope
from reports.api.parsers import StrictJSONParser


class HasNewsroomScope(permissions.BasePermission):
    message = (
        "Alert channels need an API key with the 'newsroom' scope (send it as Authorization: Bearer <key>)."
    )

    def has_permission(self, request: Request, view) -> bool:
        return request.auth is not None and request.auth.has_scope(Scope.NEWSROOM)


@newsroom_channels
class NewsroomChannelViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    PartnerBaseViewSet,
):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasNewsroomScope]
    serializer_class = NewsroomChannelSerializer
    parser_classes = [StrictJSONParser]
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self):
        # A key sees and changes only its own channels; others' are a 404.
        return NewsroomChannel.objects.filter(key=self.request.auth).prefetch_related("services")

    def perform_create(self, serializer) -> None:
        serializer.save(key=self.request.auth)

    @action(detail=True, methods=["post"], serializer_class=ChannelTestSerializer)
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a test message now and answer with how the channel took it."""
        delivery = ChannelDelivery.objects.create(channel=self.get_object(), event=None)
        channels.deliver(delivery.pk)
        delivery.refresh_from_db()
        return Response(ChannelTestSerializer(delivery).data)
