from django.urls import path

from reports import views

urlpatterns = [
    path("", views.home, name="home"),
    path("status/<slug:slug>/", views.service_detail, name="service-detail"),
    path("status/<slug:slug>/report/", views.report_problem, name="report-problem"),
]
