"""/healthz reports the database and the broker."""

from __future__ import annotations


def test_healthz_is_200_when_the_database_answers_and_no_broker_is_configured(client, db, settings):
    settings.CELERY_BROKER_URL = None
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "not configured"},
    }


def test_healthz_is_503_when_the_broker_is_down(client, db, settings):
    # Nothing listens on port 1: the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}


def test_healthz_is_200_with_a_live_broker(client, db, settings, celery_worker_process):
    from openmined.celery import app

    settings.CELERY_BROKER_URL = app.conf.broker_url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
