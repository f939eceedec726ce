"""App configuration."""

from django.apps import AppConfig


class MineUiConfig(AppConfig):
    """Mines, datasets, permissions, privacy budget and the mining loop."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "mine_ui"
    verbose_name = "Mines"
