"""Pages of capsule."""

from django.urls import path  # noqa: F401

app_name = "capsule"
urlpatterns: list = []
