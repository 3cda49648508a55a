from django.urls import path, re_path

from reports import views

# The service page itself (/status/<slug>/) and the home page are in pages.urls.
urlpatterns = [
    path("status/<slug:slug>/report/", views.report_problem, name="report-problem"),
    # In a country's edition (pages.urls): the report is that country's.
    re_path(
        r"^(?P<cc>[A-Za-z]{2})/status/(?P<slug>[-a-zA-Z0-9_]+)/report/$",
        views.report_problem,
        name="edition-report-problem",
    ),
]
