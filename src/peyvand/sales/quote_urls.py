"""Pages of quotes (included by sales/urls.py under the ``sales:`` namespace)."""

from django.urls import path

from . import quote_views

urlpatterns = [
    path("quotes/", quote_views.quote_list, name="quote_list"),
    path("quotes/new/", quote_views.quote_create, name="quote_create"),
    path("quotes/totals/", quote_views.quote_totals, name="quote_totals"),
    path("quotes/customers/", quote_views.customer_options, name="quote_customer_options"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", quote_views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/pdf/", quote_views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/send/", quote_views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", quote_views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/reject/", quote_views.quote_reject, name="quote_reject"),
    path("quotes/<int:pk>/delete/", quote_views.quote_delete, name="quote_delete"),
]
