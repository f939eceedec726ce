"""Reads about people."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import DATA_SCIENTIST, MINER, ApiToken


def user_roles(*, user: User) -> list[str]:
    """The person's roles, 'operator' included for staff."""
    names = set(user.groups.values_list("name", flat=True))
    roles = [role for role in (DATA_SCIENTIST, MINER) if role in names]
    if user.is_staff:
        roles.append("operator")
    return roles


def user_is_data_scientist(*, user: User) -> bool:
    """True for people who may create campaigns."""
    return user.is_authenticated and user.groups.filter(name=DATA_SCIENTIST).exists()


def user_is_miner(*, user: User) -> bool:
    """True for people who may run mines."""
    return user.is_authenticated and user.groups.filter(name=MINER).exists()


def token_list_live(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens that can still authenticate, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=timezone.now()).order_by(
        "-created_at", "-id"
    )
