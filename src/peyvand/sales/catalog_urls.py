"""Pages of the catalogue and the seller profile (included by sales/urls.py as ``sales:``)."""

from django.urls import path

from . import catalog_views

urlpatterns = [
    path("products/", catalog_views.product_list, name="product_list"),
    path("products/new/", catalog_views.product_create, name="product_create"),
    path("products/<int:pk>/edit/", catalog_views.product_edit, name="product_edit"),
    path(
        "products/<int:pk>/deactivate/",
        catalog_views.product_deactivate,
        name="product_deactivate",
    ),
    path("product-categories/", catalog_views.category_list, name="category_list"),
    path("tax-rules/", catalog_views.tax_rule_list, name="tax_rule_list"),
    path("seller-profile/", catalog_views.seller_profile, name="seller_profile"),
]
