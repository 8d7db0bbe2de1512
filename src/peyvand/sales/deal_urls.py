"""Pages of the sales app: the board, deals and the pipeline settings (included by
sales/urls.py under the `sales:` namespace)."""

from django.urls import path

from . import deal_views as views

# A deal's actions live under its own URL (``deals/<pk>/<action>/``): the board's cards
# build them from the deal's URL rather than reverse three names per card.
urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/more/", views.board_more, name="board_more"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/delete/", views.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/card-actions/", views.deal_card_actions, name="deal_card_actions"),
    path("deals/<int:pk>/move/", views.deal_move, name="deal_move"),
    path("deals/<int:pk>/win/", views.deal_win, name="deal_win"),
    path("deals/<int:pk>/lose/", views.deal_lose, name="deal_lose"),
    path("deals/<int:pk>/reopen/", views.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/activities/", views.deal_activity, name="deal_activity"),
    path("deals/settings/pipelines/", views.pipeline_list, name="pipeline_list"),
    path("deals/settings/pipelines/<int:pk>/", views.pipeline_edit, name="pipeline_edit"),
    path("deals/settings/stages/<int:pk>/", views.stage_edit, name="stage_edit"),
    path("deals/settings/stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("deals/settings/lost-reasons/", views.lost_reason_list, name="lost_reason_list"),
    path("deals/settings/competitors/", views.competitor_list, name="competitor_list"),
    path("deals/settings/cadences/", views.cadence_list, name="cadence_list"),
    path("deals/settings/cadences/new/", views.cadence_create, name="cadence_create"),
    path("deals/settings/cadences/<int:pk>/", views.cadence_edit, name="cadence_edit"),
    path("deals/settings/cadences/<int:pk>/delete/", views.cadence_delete, name="cadence_delete"),
]
