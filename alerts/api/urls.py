from rest_framework.routers import SimpleRouter

from alerts.api import views

router = SimpleRouter()
router.register("alert-channels", views.NewsroomChannelViewSet, basename="api-alert-channel")

urlpatterns = router.urls
