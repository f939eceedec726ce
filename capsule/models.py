"""What the capsule keeps: key pairs (private half wrapped), validation data, deliveries.

Campaigns are referred to by id, not by foreign key: the capsule sits below Sonar and must not
depend on its tables (nor Sonar's migrations on the capsule's).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CampaignKey(models.Model):
    """A campaign's Paillier key pair: the public half in clear, the private half wrapped."""

    campaign_id = models.BigIntegerField(unique=True)
    algorithm = models.CharField(max_length=64)
    n_features = models.PositiveIntegerField()
    n_classes = models.PositiveIntegerField(null=True, blank=True)
    fit_intercept = models.BooleanField(default=True)
    public_key = models.JSONField(help_text="syft's public key dict: scheme, n (hex), bits.")
    fingerprint = models.CharField(max_length=64, unique=True)
    bits = models.PositiveIntegerField()
    wrapped_private_key = models.TextField(
        blank=True,
        help_text="The private key OpenPGP-encrypted to the capsule's GPG key; empty once retired.",
    )
    wrapped_to = models.CharField(max_length=40, help_text="Fingerprint of the capsule GPG key.")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A retired key has no private half left; a live one must have it.
            models.CheckConstraint(
                condition=(models.Q(retired_at__isnull=True) & ~models.Q(wrapped_private_key=""))
                | (models.Q(retired_at__isnull=False) & models.Q(wrapped_private_key="")),
                name="capsule_key_wrapped_until_retired",
            )
        ]

    def __str__(self) -> str:
        return f"Key of campaign {self.campaign_id} ({self.fingerprint[:16]})"


class ValidationSet(models.Model):
    """A campaign's validation data, OpenPGP-encrypted to the capsule's key; never served."""

    campaign_id = models.BigIntegerField(unique=True)
    adapter = models.CharField(max_length=32)
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    wrapped_data = models.BinaryField(help_text="Empty once the campaign's key is retired.")
    # Identifies this upload for the in-memory cache: gpg output differs on every upload.
    wrapped_sha256 = models.CharField(max_length=64)
    wrapped_to = models.CharField(max_length=40)
    rows = models.PositiveIntegerField()
    columns = models.JSONField()
    sha256 = models.CharField(max_length=64, help_text="sha256 of the file as uploaded.")
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Validation data of campaign {self.campaign_id} ({self.rows} rows)"


class ModelDelivery(models.Model):
    """The final model as delivered to its owner, kept so the same artifact can be fetched again."""

    campaign_id = models.BigIntegerField(unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capsule_deliveries"
    )
    source_blob = models.CharField(max_length=64, help_text="The encrypted weights delivered.")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    pgp_fingerprint = models.CharField(max_length=64, blank=True)
    sha256 = models.CharField(max_length=64, help_text="sha256 of the artifact as delivered.")

    # Wrapped even when PGP-encrypted to the owner: a plain artifact holds the model in clear.
    class Sealing(models.TextChoices):
        # Already encrypted to the owner's PGP key: stored as delivered.
        OWNER_PGP = "owner-pgp"
        # A plain artifact, sealed (AES-GCM) with a key derived from SECRET_KEY, so that web
        # processes, which hold no capsule secret, can serve it to its owner.
        SITE_KEY = "site-key"
        # Rows delivered before the capsule became its own process: wrapped to the capsule's GPG
        # key, so only a capsule process can open them.
        CAPSULE_GPG = "capsule-gpg"

    wrapped_artifact = models.BinaryField()
    wrapped_to = models.CharField(max_length=40, blank=True)
    sealing = models.CharField(max_length=16, choices=Sealing.choices, default=Sealing.CAPSULE_GPG)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Model of campaign {self.campaign_id} delivered to user {self.owner_id}"


class CapsuleIdentity(models.Model):
    """The public half of the capsule's GPG key, published so that any process can encrypt to it.

    Only capsule processes hold the secret half (settings.SONAR_ROLES); web processes encrypt
    uploaded validation data to this key and can never read it back.
    """

    fingerprint = models.CharField(max_length=40, unique=True)
    armored_public_key = models.TextField()
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "capsule identities"

    def __str__(self) -> str:
        return f"Capsule key {self.fingerprint[:16]}"
