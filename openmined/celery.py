"""The Celery application: four queues, JSON only, late acknowledgement."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmined.settings")

app = Celery("openmined")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="openmined.ping")
def ping() -> str:
    """Answer 'pong': proves a worker is consuming the queue."""
    return "pong"
