"""Writes about people: sign-up, roles, PGP keys, API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.models import ROLES, Profile
from accounts.pgp import pgp_key_inspect


def profile_get_or_create(*, user: User) -> Profile:
    """Every person has a profile; create it on first use."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, roles: Iterable[str]) -> User:
    """Create a person with the given roles (data scientist, miner, or both)."""
    roles = list(roles)
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValueError(f"Unknown role {unknown[0]!r}; choose from {', '.join(ROLES)}.")
    user = User(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    Profile.objects.create(user=user)
    return user


def user_set_roles(*, user: User, roles: Iterable[str]) -> None:
    """Replace a person's roles."""
    wanted = set(roles)
    for role in ROLES:
        group = Group.objects.get_or_create(name=role)[0]
        if role in wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)


def profile_set_pgp_key(*, user: User, armored: str) -> Profile:
    """Check the key with gpg and store it with its fingerprint; an empty text removes it."""
    profile = profile_get_or_create(user=user)
    if not armored.strip():
        profile.pgp_public_key = ""
        profile.pgp_fingerprint = ""
    else:
        key = pgp_key_inspect(armored=armored)
        profile.pgp_public_key = armored.strip() + "\n"
        profile.pgp_fingerprint = key.fingerprint
    profile.save(update_fields=["pgp_public_key", "pgp_fingerprint"])
    return profile


@transaction.atomic
def token_revoke_all(*, user: User) -> int:
    """End every API token of the person: after a password change, and when they sign out."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


def token_issue(*, user: User) -> Token:
    """Return the person's API token, replacing it when it has expired."""
    from django.conf import settings
    from django.utils import timezone

    token, created = Token.objects.select_for_update().get_or_create(user=user)
    age = timezone.now() - token.created
    if not created and age.total_seconds() > settings.API_TOKEN_TTL_HOURS * 3600:
        token.delete()
        token = Token.objects.create(user=user)
    return token
