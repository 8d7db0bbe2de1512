"""Every sales page under ``/sales/``, one namespace (``sales:``), one module per area."""

from django.urls import path

from . import catalog_urls, deal_urls, lead_urls, order_urls, quote_urls, report_urls
from .settings_views import sales_settings

app_name = "sales"

urlpatterns = [
    path("settings/", sales_settings, name="settings"),
    *lead_urls.urlpatterns,
    *deal_urls.urlpatterns,
    *catalog_urls.urlpatterns,
    *quote_urls.urlpatterns,
    *order_urls.urlpatterns,
    *report_urls.urlpatterns,
]
