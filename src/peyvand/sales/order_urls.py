"""Pages of the sales app: orders (included by sales/urls.py under the `sales:` namespace)."""

from django.urls import path

from . import order_views

urlpatterns = [
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/new/", order_views.order_create, name="order_create"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", order_views.order_edit, name="order_edit"),
    path("orders/<int:pk>/status/", order_views.order_status, name="order_status"),
    path("orders/<int:pk>/payments/", order_views.payment_add, name="order_payment_add"),
    path("orders/<int:pk>/instalments/", order_views.instalments_add, name="order_instalments"),
    path("orders/<int:pk>/returns/", order_views.return_add, name="order_return_add"),
    path("orders/<int:pk>/delete/", order_views.order_delete, name="order_delete"),
    path("orders/payments/<int:pk>/status/", order_views.payment_status, name="payment_status"),
]
