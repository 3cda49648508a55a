from rest_framework.routers import SimpleRouter

from partners.api import provider_views, views, webhook_views

router = SimpleRouter()
router.register("services", views.ServiceViewSet, basename="api-service")
router.register("problem-types", views.ProblemTypeViewSet, basename="api-problem-type")
router.register("regions", views.RegionViewSet, basename="api-region")
router.register("live-status", views.LiveStatusViewSet, basename="api-live-status")
router.register("spikes", views.SpikeViewSet, basename="api-spike")
router.register("incidents", views.IncidentViewSet, basename="api-incident")
router.register(
    "provider-incidents", provider_views.ProviderIncidentViewSet, basename="api-provider-incident"
)
router.register("provider-status", provider_views.ProviderStatusViewSet, basename="api-provider-status")
router.register("webhook-endpoints", webhook_views.WebhookEndpointViewSet, basename="api-webhook-endpoint")

urlpatterns = router.urls
