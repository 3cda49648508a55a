from django.urls import path

from reports import views

# The service page itself (/status/<slug>/) and the home page are in pages.urls.
urlpatterns = [
    path("status/<slug:slug>/report/", views.report_problem, name="report-problem"),
]
