from django.urls import path

from . import duplicate_views, views

app_name = "customers"
urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/export/", views.person_export, name="person_export"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete, name="person_delete"),
    path("people/duplicates/", duplicate_views.duplicate_queue, name="duplicate_queue"),
    path(
        "people/duplicates/<int:pk>/dismiss/",
        duplicate_views.duplicate_dismiss,
        name="duplicate_dismiss",
    ),
    path("people/duplicates/scan/", duplicate_views.duplicate_scan, name="duplicate_scan"),
    path(
        "people/<int:pk>/merge/<int:other_pk>/",
        duplicate_views.person_merge,
        name="person_merge",
    ),
    path("people/merges/", duplicate_views.merge_history, name="merge_history"),
    path("people/merges/<int:pk>/undo/", duplicate_views.merge_undo, name="merge_undo"),
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
