from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("trash/", views.trash, name="trash"),
    path("trash/<str:kind>/<int:pk>/restore/", views.trash_restore, name="trash_restore"),
    path("trash/<str:kind>/<int:pk>/purge/", views.trash_purge, name="trash_purge"),
    path("healthz", views.healthz, name="healthz"),
]
