"""Token authentication whose tokens expire."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token auth, refusing tokens older than API_TOKEN_TTL_HOURS."""

    def authenticate_credentials(self, key: str):  # type: ignore[override]
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - timedelta(hours=settings.API_TOKEN_TTL_HOURS):
            raise exceptions.AuthenticationFailed(
                "This token has expired; trade your username and password for a new one at "
                "POST /api/auth/token/."
            )
        return user, token
