"""Hosted mines run as Celery tasks against this platform's own API."""

from __future__ import annotations

from mine_ui.models import Contribution
from mine_ui.services import policy_update
from mine_ui.tasks import mine_train_task, mines_hosted_train_task


def test_the_beat_task_runs_a_pass_for_each_participating_hosted_mine(
    settings, platform, open_campaign, bob_mine, bob_dataset, carol, make_idle_mine
):
    settings.SITE_URL = platform.url
    idle = make_idle_mine(carol)

    assert mines_hosted_train_task() == [bob_mine.pk]

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    assert contribution.status == "accepted"
    assert not Contribution.objects.filter(mine=idle).exists()


def test_a_hosted_mine_task_facing_an_unreachable_sonar_waits_for_the_next_tick(
    settings, open_campaign, bob_mine, bob_dataset
):
    settings.SITE_URL = "http://127.0.0.1:9"

    assert mine_train_task(bob_mine.pk) == 0
    assert not Contribution.objects.filter(mine=bob_mine).exists()


def test_a_mine_deleted_before_its_task_ran_is_ignored(db):
    assert mine_train_task(987654) == 0


def test_a_paused_mine_is_not_scheduled(bob_mine):
    policy_update(mine=bob_mine, paused=True)
    assert mines_hosted_train_task() == []
