"""Under `make run` (eager Celery, no beat) hosted mines that participate mine on their own."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mine_ui import tasks
from mine_ui.services import mine_create, policy_update
from tests.conftest import ROOT


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    seen: list[int] = []
    monkeypatch.setattr(tasks.mine_train_task, "delay", lambda mine_id: seen.append(mine_id))
    return seen


def test_one_pass_mines_every_participating_hosted_mine_and_no_other(bob, carol, enqueued):
    busy = mine_create(owner=bob, name="busy", payout_account="acct_b")
    policy_update(mine=busy, auto_participate=True)
    mine_create(owner=bob, name="idle", payout_account="acct_b")  # participation off
    paused = mine_create(owner=carol, name="paused", payout_account="acct_c")
    policy_update(mine=paused, auto_participate=True, paused=True)

    call_command("mines_hosted_run", "--once", stdout=io.StringIO())

    assert enqueued == [busy.pk]


def test_with_a_broker_it_points_to_celery_beat(db, settings, enqueued):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with pytest.raises(CommandError, match="celery beat schedules hosted mines there"):
        call_command("mines_hosted_run", "--once")
    assert enqueued == []


def test_make_run_starts_it_beside_the_web_server():
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py mines_hosted_run" in recipe
    assert recipe.index("mines_hosted_run") < recipe.index("runserver")
