"""Pages of the sales app: leads (included by sales/urls.py under the `sales:` namespace)."""

from django.urls import path

from . import lead_views as views

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/delete/", views.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify, name="lead_disqualify"),
    path("leads/settings/forms/", views.web_form_list, name="web_form_list"),
    path("leads/settings/forms/<int:pk>/", views.web_form_edit, name="web_form_edit"),
    path("leads/settings/assignment/", views.assignment_rule_list, name="assignment_rule_list"),
    path(
        "leads/settings/assignment/<int:pk>/",
        views.assignment_rule_edit,
        name="assignment_rule_edit",
    ),
    path(
        "leads/settings/assignment/<int:pk>/delete/",
        views.assignment_rule_delete,
        name="assignment_rule_delete",
    ),
    path("leads/settings/scoring/", views.scoring_rule_list, name="scoring_rule_list"),
    path("leads/settings/scoring/<int:pk>/", views.scoring_rule_edit, name="scoring_rule_edit"),
    path(
        "leads/settings/scoring/<int:pk>/delete/",
        views.scoring_rule_delete,
        name="scoring_rule_delete",
    ),
    path("leads/settings/scoring/train/", views.score_model_train, name="score_model_train"),
    # Public (no login): the form a site embeds with the leadform.js snippet.
    path("forms/<str:key>/", views.web_form_public, name="web_form_public"),
]
