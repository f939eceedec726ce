"""App configuration."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, roles (data scientist, miner) and their PGP keys."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"
