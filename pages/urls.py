from django.urls import path

from pages import feeds, views

urlpatterns = [
    path("", views.home, name="home"),
    path("methodology/", views.methodology, name="methodology"),
    path("developers/", views.developers, name="developers"),
    path("status/<slug:slug>/", views.service_detail, name="service-detail"),
    path("status/<slug:slug>/feed/", feeds.ServiceOutagesFeed(), name="service-feed"),
    path("status/<slug:slug>/reports.csv", views.service_csv, name="service-csv"),
    path("status/<slug:slug>/chart.png", views.service_png, name="service-png"),
    path("status/<slug:slug>/embed/", views.service_embed, name="service-embed"),
    path("groups/<slug:slug>/feed/", feeds.GroupOutagesFeed(), name="group-feed"),
    path("outages/", views.outage_list, name="outage-list"),
    path("outages/feed/", feeds.AllOutagesFeed(), name="outage-feed"),
    path("outages/<int:pk>/", views.spike_detail, name="spike-detail"),
    path("outages/<int:pk>/reports.csv", views.spike_csv, name="spike-csv"),
    path("outages/<int:pk>/chart.png", views.spike_png, name="spike-png"),
    path("outages/<int:pk>/embed/", views.spike_embed, name="spike-embed"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("time-zone/", views.time_zone, name="time-zone"),
]
