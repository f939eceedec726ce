"""API token authentication: hashed, named, expiring tokens (accounts.models.ApiToken)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from accounts.services import token_authenticate


class ExpiringTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <secret>`; refuses unknown, expired and revoked tokens."""

    keyword = "Token"

    def authenticate(self, request: Request):  # type: ignore[override]
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as 'Authorization: Token <secret>', with one space and no "
                "other words."
            )
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "The token has characters a token never has."
            ) from None
        token = token_authenticate(key=key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "This token is unknown or was revoked; make a new one on the API tokens page or "
                "at POST /api/auth/token/."
            )
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                "This token has expired; trade your username and password for a new one at "
                "POST /api/auth/token/."
            )
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header."""

    target_class = "accounts.authentication.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[override]
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token-based authentication: `Token <secret>`.",
        }
