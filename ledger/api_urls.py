"""REST API routes of ledger."""

from django.urls import path  # noqa: F401

app_name = "ledger_api"
urlpatterns: list = []
