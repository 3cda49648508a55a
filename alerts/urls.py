from django.urls import path

from alerts import views

urlpatterns = [
    path("follow/<slug:slug>/", views.follow, name="alerts-follow"),
    path("check-your-inbox/", views.check_inbox, name="alerts-check-inbox"),
    path("confirm/<str:token>/", views.confirm, name="alerts-confirm"),
    path("manage/", views.manage_link, name="alerts-manage-link"),
    path("manage/<str:token>/", views.manage, name="alerts-manage"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="alerts-unsubscribe"),
    path("push/", views.push_follows, name="alerts-push"),
    path("push/status/", views.push_status, name="alerts-push-status"),
    path("sw.js", views.service_worker, name="alerts-service-worker"),
]
