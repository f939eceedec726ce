"""REST API routes of mine_ui."""

from django.urls import path  # noqa: F401

app_name = "mine_ui_api"
urlpatterns: list = []
