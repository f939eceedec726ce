"""App configuration."""

from django.apps import AppConfig


class CapsuleConfig(AppConfig):
    """The only holder of private keys: key custody, decrypt-and-score, final delivery."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "capsule"
    verbose_name = "Capsule"
