"""App configuration."""

from django.apps import AppConfig


class SonarUiConfig(AppConfig):
    """Campaigns, model versions, gradient submissions, evaluation and payouts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "sonar_ui"
    verbose_name = "Sonar"

    def ready(self) -> None:
        # models.py belongs to the evaluation pipeline; the upload waiting room lives apart.
        from sonar_ui import uploads  # noqa: F401
