"""REST API routes of stats."""

from django.urls import path  # noqa: F401

app_name = "stats_api"
urlpatterns: list = []
