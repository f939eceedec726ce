"""OpenMined Sonar: the Django project."""

from openmined.celery import app as celery_app

__all__ = ("celery_app",)
