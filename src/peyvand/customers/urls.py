from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/export/", views.person_export, name="person_export"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/export/", views.organization_export, name="organization_export"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<int:pk>/delete/", views.organization_delete, name="organization_delete"),
    path("cities/", views.city_options, name="city_options"),
    path("tags/", views.tag_list, name="tag_list"),
    path("custom-fields/", views.custom_field_list, name="custom_field_list"),
    path("custom-fields/<int:pk>/", views.custom_field_edit, name="custom_field_edit"),
]
