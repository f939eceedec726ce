"""REST API routes of sonar_ui."""

from django.urls import path  # noqa: F401

app_name = "sonar_ui_api"
urlpatterns: list = []
