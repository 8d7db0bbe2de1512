from django.urls import include, path

from peyvand.api import api

urlpatterns = [
    path("", include("peyvand.core.urls")),
    path("accounts/", include("peyvand.accounts.urls")),
    path("customers/", include("peyvand.customers.urls")),
    path("activities/", include("peyvand.activities.urls")),
    path("transfers/", include("peyvand.transfers.urls")),
    path("exports/", include("peyvand.transfers.export_urls")),
    path("sales/", include("peyvand.sales.urls")),
    path("api/", api.urls),
]
