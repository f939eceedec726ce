"""App configuration."""

from django.apps import AppConfig


class LedgerConfig(AppConfig):
    """The hash-chained, append-only ledger, double-entry money and content-addressed blobs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"
    verbose_name = "Ledger"
