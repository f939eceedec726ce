"""App configuration."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    """Public statistics and usage."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "stats"
    verbose_name = "Statistics"
