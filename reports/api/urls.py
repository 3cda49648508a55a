from django.urls import path

from reports.api.views import ReportCreateView

urlpatterns = [
    path("reports/", ReportCreateView.as_view(), name="api-report-create"),
]
