"""Project-level pages: the landing page, /healthz, and JSON error pages under /api/."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from openmined.api_errors import json_error

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """Explain the platform in a few sentences and point each kind of user onward."""
    return render(request, "home.html")


def _database_ok() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason goes to the log
        logger.warning("healthz: database check failed: %s", exc)
        return "down"
    return "ok"


def _broker_ok() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured"
    from openmined.celery import app

    try:
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            # One attempt with a short timeout: a health check must answer quickly.
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("healthz: broker check failed: %s", exc)
        return "down"
    return "ok"


def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and the broker, when configured) answer; 503 otherwise."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON 404 under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return json_error("not_found", f"Nothing is at {request.path}.", 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """JSON 500 under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return json_error("server_error", "Something went wrong on our side; it was logged.", 500)
    return render(request, "500.html", status=500)
