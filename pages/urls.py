from django.urls import path, re_path

from pages import edition_views, feeds, service_views, triage, views

# An edition is a country's two-letter code, in lower case (/br/); any other case is
# redirected, and a code that names no country is a 404 listing the editions.
CC = r"(?P<cc>[A-Za-z]{2})"
SLUG = r"(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("", views.home, name="home"),
    path("methodology/", views.methodology, name="methodology"),
    path("developers/", views.developers, name="developers"),
    path("status/<slug:slug>/", service_views.service_detail, name="service-detail"),
    path("status/<slug:slug>/report/", service_views.report_problem, name="report-problem"),
    path("status/<slug:slug>/feed/", feeds.ServiceOutagesFeed(), name="service-feed"),
    path("status/<slug:slug>/reports.csv", service_views.service_csv, name="service-csv"),
    path("status/<slug:slug>/chart.png", service_views.service_png, name="service-png"),
    path("status/<slug:slug>/embed/", service_views.service_embed, name="service-embed"),
    path("groups/<slug:slug>/feed/", feeds.GroupOutagesFeed(), name="group-feed"),
    path("outages/", views.outage_list, name="outage-list"),
    path("outages/feed/", feeds.AllOutagesFeed(), name="outage-feed"),
    path("outages/<int:pk>/", views.spike_detail, name="spike-detail"),
    path("outages/<int:pk>/reports.csv", views.spike_csv, name="spike-csv"),
    path("outages/<int:pk>/chart.png", views.spike_png, name="spike-png"),
    path("outages/<int:pk>/embed/", views.spike_embed, name="spike-embed"),
    path("outages/<int:pk>/triage/", triage.triage, name="spike-triage"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("time-zone/", views.time_zone, name="time-zone"),
    path("editions/", edition_views.choose_edition, name="editions"),
    # Country editions (docs/site.md, "Editions").
    re_path(rf"^{CC}/$", edition_views.edition_home, name="edition-home"),
    re_path(rf"^{CC}/outages/$", views.outage_list, name="edition-outages"),
    re_path(rf"^{CC}/status/{SLUG}/$", service_views.service_detail, name="edition-service"),
    # In a country's edition the report is that country's.
    re_path(rf"^{CC}/status/{SLUG}/report/$", service_views.report_problem, name="edition-report-problem"),
    re_path(rf"^{CC}/status/{SLUG}/reports\.csv$", service_views.service_csv, name="edition-csv"),
    re_path(rf"^{CC}/status/{SLUG}/chart\.png$", service_views.service_png, name="edition-png"),
    re_path(rf"^{CC}/status/{SLUG}/embed/$", service_views.service_embed, name="edition-embed"),
]
