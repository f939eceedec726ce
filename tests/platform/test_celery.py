"""Tasks run on a real worker consuming Redis."""

from __future__ import annotations

from openmined.celery import ping


def test_a_task_round_trips_through_a_real_worker(celery_worker):
    result = ping.delay()
    assert result.get(timeout=30) == "pong"
    # Really remote: the reply names the worker host, and eager mode is off.
    assert not result.app.conf.task_always_eager


def test_the_app_only_speaks_json_and_acknowledges_late():
    from openmined.celery import app

    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True
    assert {q.name for q in app.conf.task_queues} == {"default", "evaluation", "capsule", "mining"}
