"""Pages of sonar_ui."""

from django.urls import path

from sonar_ui import views

app_name = "sonar_ui"
urlpatterns = [
    path("", views.index, name="index"),
]
