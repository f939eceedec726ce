"""The admin index summarises what an operator checks first."""

from __future__ import annotations

import html

import pytest
from django.utils.html import strip_tags

from ledger.checks import ledger_check_run
from ledger.services import checkpoint_create
from stats.operator import celery_queue_lengths
from tests.conftest import PASSWORD, _redis_reachable, skip_or_fail


def index(client) -> str:
    assert client.login(username="operator", password=PASSWORD)
    page = client.get("/admin/")
    assert page.status_code == 200
    return " ".join(html.unescape(strip_tags(page.content.decode())).split())


def test_the_index_summarises_campaigns_money_and_the_ledger(
    client, operator, alice, diabetes, launched, platform_key
):
    launched(alice, diabetes, bounty_minor=1_234_56)
    checkpoint_create()
    ledger_check_run(requested_by="operator")
    text = index(client)
    assert "Open campaigns 1" in text
    assert "Gradients waiting 0" in text
    assert "Money in escrow 1,234.56" in text
    assert "Accrued, not yet settled 0.00" in text
    assert "signed 0 minutes ago (0 entries since)" in text
    assert "OK 0 minutes ago: Ledger OK" in text
    assert "eager mode: tasks run inside the web process" in text


def test_the_index_says_when_nothing_was_signed_or_checked_yet(client, operator):
    text = index(client)
    assert "none yet (0 entries unsigned)" in text
    assert "never run; run one from the link" in text


def test_mallory_does_not_see_the_summary(client, mallory):
    client.login(username="mallory", password=PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302 and "Money in escrow" not in response.content.decode()


@pytest.fixture
def queued_mode():
    """Tasks go to the broker, as with CELERY_BROKER_URL set outside the tests."""
    from openmined.celery import app

    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def test_queue_lengths_are_read_from_redis_when_tasks_are_queued(queued_mode, db, settings):
    from urllib.parse import urlsplit, urlunsplit

    import redis

    # A Redis database no test worker consumes: a live worker would take the fake messages.
    url = urlunsplit(urlsplit(settings.CELERY_BROKER_URL)._replace(path="/15"))
    settings.CELERY_BROKER_URL = url
    if not _redis_reachable(url):
        skip_or_fail(f"Redis is not reachable at {url}")
    broker = redis.Redis.from_url(url)
    pushed = [
        ("evaluation", "a"),
        ("evaluation", "b"),
        ("evaluation\x06\x163", "c"),
        ("mining", "d"),
    ]
    before = celery_queue_lengths()["queues"]
    try:
        for key, value in pushed:
            broker.rpush(key, f"test-operator-summary-{value}")
        after = celery_queue_lengths()
    finally:  # take back only what this test put there: the database may be shared
        for key, value in pushed:
            broker.lrem(key, 0, f"test-operator-summary-{value}")
    assert after["mode"] == "redis"
    grown = {queue: after["queues"][queue] - before[queue] for queue in before}
    assert grown == {"default": 0, "evaluation": 3, "capsule": 0, "mining": 1}


def test_an_unreachable_broker_is_reported_not_raised(queued_mode, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert celery_queue_lengths() == {"mode": "unreachable", "queues": {}}
