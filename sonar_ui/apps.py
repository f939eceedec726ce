"""App configuration."""

from django.apps import AppConfig


class SonarUiConfig(AppConfig):
    """Campaigns, model versions, gradient submissions, evaluation and payouts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "sonar_ui"
    verbose_name = "Sonar"
