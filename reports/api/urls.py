from django.urls import path

from reports.api.views import report_create

urlpatterns = [
    path("reports/", report_create, name="api-report-create"),
]
