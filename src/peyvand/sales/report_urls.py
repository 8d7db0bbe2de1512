"""Pages of the sales app: reports (included by sales/urls.py under the `sales:` namespace)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("forecast/", report_views.forecast_page, name="forecast"),
    path("kpis/", report_views.kpis_page, name="kpis"),
    path("targets/", report_views.targets_page, name="targets"),
]
