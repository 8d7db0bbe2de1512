from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/done/", views.activity_done, name="activity_done"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("follow-ups/", views.followups, name="followups"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
