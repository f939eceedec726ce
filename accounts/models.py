"""A person's profile: roles live in auth groups; the profile holds the optional PGP key."""

from __future__ import annotations

from django.conf import settings
from django.db import models

DATA_SCIENTIST = "data scientist"
MINER = "miner"
ROLES = (DATA_SCIENTIST, MINER)


class Profile(models.Model):
    """What Sonar knows about a person beyond the login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    pgp_public_key = models.TextField(
        blank=True,
        help_text="ASCII-armored OpenPGP public key; final models are encrypted to it.",
    )
    pgp_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A key without its fingerprint (or the reverse) means the check was skipped.
            models.CheckConstraint(
                condition=(models.Q(pgp_public_key="") & models.Q(pgp_fingerprint=""))
                | (~models.Q(pgp_public_key="") & ~models.Q(pgp_fingerprint="")),
                name="profile_pgp_key_has_fingerprint",
            )
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user.username}"


class ApiToken(models.Model):
    """A named API token: only the sha256 of its secret is stored, so a database leak is no key.

    The secret is shown once, when the token is made. Tokens expire; `last_used_at` tells the
    owner which ones still matter before they revoke the others.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the secret, so the owner can tell tokens apart in a list.
    prefix = models.CharField(max_length=8)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="api_token_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"], name="api_token_user_expiry")]

    def __str__(self) -> str:
        return f"API token '{self.name}' of {self.user.username} ({self.prefix}…)"
