"""REST API routes of capsule."""

from django.urls import path  # noqa: F401

app_name = "capsule_api"
urlpatterns: list = []
