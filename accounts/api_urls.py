"""REST API routes of accounts."""

from django.urls import path

from accounts.api import MeApi, RoleApi, TokenListCreateApi, TokenObtainApi, TokenRevokeApi

app_name = "accounts_api"
urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="token"),
    path("me/", MeApi.as_view(), name="me"),
    path("me/roles/", RoleApi.as_view(), name="roles"),
    path("me/tokens/", TokenListCreateApi.as_view(), name="tokens"),
    path("me/tokens/<int:token_id>/", TokenRevokeApi.as_view(), name="token-revoke"),
]
