"""Writes about people: sign-up, roles, PGP keys, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accounts.errors import RoleError, TokenError, TokenNotFoundError
from accounts.models import ROLES, ApiToken, Profile
from accounts.pgp import pgp_key_inspect
from accounts.selectors import user_roles

MAX_TOKEN_TTL = timedelta(days=365)
MAX_TOKENS_PER_USER = 100
MAX_TOKENS_PER_NAME = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


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


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its row and its secret, which exists only here and is never stored."""

    token: ApiToken
    key: str


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(
    *, user: User, name: str, ttl: timedelta | None = None, rotate: bool = False
) -> IssuedToken:
    """Make a named API token; its secret is returned once and only its sha256 is kept.

    With rotate, the oldest tokens of the same name beyond MAX_TOKENS_PER_NAME are revoked
    instead of counting against MAX_TOKENS_PER_USER.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("Give the token a name of 1 to 100 characters, e.g. 'laptop notebook'.")
    ttl = ttl if ttl is not None else timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    if ttl <= timedelta(0) or ttl > MAX_TOKEN_TTL:
        raise TokenError(
            f"A token lives from 1 hour to {MAX_TOKEN_TTL.days} days; choose an expiry in "
            "that range."
        )
    now = timezone.now()
    # Expired tokens can never authenticate again; forget them instead of listing them forever.
    ApiToken.objects.filter(user=user, expires_at__lte=now).delete()
    if rotate:
        # Logins and hosted mines make a token each time: keep only the newest few of a name,
        # so a notebook that logs in every run never fills the person's token list.
        keep = ApiToken.objects.filter(user=user, name=name).order_by("-created_at", "-id")
        stale = list(keep.values_list("pk", flat=True)[MAX_TOKENS_PER_NAME - 1 :])
        ApiToken.objects.filter(pk__in=stale).delete()
    elif ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenError(
            f"You already have {MAX_TOKENS_PER_USER} live API tokens; revoke one you no longer "
            "use on the API tokens page (or DELETE /api/me/tokens/<id>/) first."
        )
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:8],
        key_sha256=_token_hash(key),
        created_at=now,
        expires_at=now + ttl,
    )
    return IssuedToken(token=token, key=key)


def token_issue(
    *, user: User, name: str = "password login", ttl: timedelta | None = None
) -> IssuedToken:
    """A fresh token for a password login (or a process acting for the person).

    Only the newest MAX_TOKENS_PER_NAME tokens of that name stay valid.
    """
    return token_create(user=user, name=name, ttl=ttl, rotate=True)


def token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this secret, or None; records when it was last used (once a minute)."""
    token = ApiToken.objects.select_related("user").filter(key_sha256=_token_hash(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at > now and (
        token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION
    ):
        # Bookkeeping, not business state: at most one write a minute per token.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, user: User, token_id: int) -> None:
    """Delete one of the person's tokens; someone else's token is 'not found'."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise TokenNotFoundError(f"You have no API token {token_id}.")


def token_revoke_all(*, user: User) -> int:
    """Revoke every API token of the person (password change, logout); returns how many."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_role_add(*, user: User, role: str) -> list[str]:
    """Give oneself the data-scientist or miner role; returns the roles now held."""
    group = Group.objects.get_or_create(name=_known_role(role))[0]
    user.groups.add(group)
    return user_roles(user=user)


def user_role_drop(*, user: User, role: str) -> list[str]:
    """Drop one's own data-scientist or miner role; campaigns and mines stay theirs."""
    user.groups.remove(*Group.objects.filter(name=_known_role(role)))
    return user_roles(user=user)


def _known_role(role: str) -> str:
    if role not in ROLES:
        raise RoleError(f"There is no role {role!r}; choose {' or '.join(repr(r) for r in ROLES)}.")
    return role
