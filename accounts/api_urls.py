"""REST API routes of accounts."""

from django.urls import path

from accounts.api import MeApi, TokenObtainApi

app_name = "accounts_api"
urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    path("me/", MeApi.as_view(), name="me"),
]
