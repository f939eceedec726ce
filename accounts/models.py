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
