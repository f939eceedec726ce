"""Pages of mine_ui."""

from django.urls import path

from mine_ui import views

app_name = "mine_ui"
urlpatterns = [
    path("", views.index, name="index"),
]
