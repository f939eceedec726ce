"""Celery tasks of Sonar: thin and idempotent, on the evaluation queue.

The capsule's steps (capsule.tasks, on the capsule queue) are chained to the `*_finish` and
`gradient_decide` tasks here, which receive the capsule's result as their first argument.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from sonar_ui import services

logger = logging.getLogger(__name__)


@shared_task(name="sonar_ui.tasks.campaign_evaluate_pending")
def campaign_evaluate_pending(campaign_id: int) -> int | None:
    """Start evaluating the campaign's oldest waiting gradient (the decide step continues)."""
    submission = services.campaign_evaluate_next(campaign_id=campaign_id)
    return None if submission is None else submission.id


@shared_task(name="sonar_ui.tasks.gradient_decide_task")
def gradient_decide_task(result: dict, *, campaign_id: int, gradient_id: int) -> str | None:
    """Accept or reject a gradient on the capsule's score, then advance the campaign."""
    submission = services.gradient_decide(
        campaign_id=campaign_id, gradient_id=gradient_id, result=result
    )
    return None if submission is None else submission.status


@shared_task(name="sonar_ui.tasks.campaign_launch_finish_task")
def campaign_launch_finish_task(result: dict, *, campaign_id: int) -> str:
    """Open the campaign on the capsule's keys and v0 score (or back to draft with why)."""
    return services.campaign_launch_finish(campaign_id=campaign_id, result=result).status


@shared_task(name="sonar_ui.tasks.campaign_settle_task")
def campaign_settle_task(campaign_id: int) -> None:
    """Have the capsule deliver a completed campaign's model (a no-op when already settled)."""
    services.campaign_settle(campaign_id=campaign_id)


@shared_task(name="sonar_ui.tasks.campaign_settle_finish_task")
def campaign_settle_finish_task(result: dict, *, campaign_id: int) -> None:
    """Pay and refund once the capsule delivered."""
    services.campaign_settle_finish(campaign_id=campaign_id, result=result)


@shared_task(name="sonar_ui.tasks.campaigns_expire_task")
def campaigns_expire_task() -> list[int]:
    """Complete campaigns whose deadline passed (Celery beat, every minute)."""
    expired = services.campaigns_expire()
    if expired:
        logger.info("Completed %d campaign(s) past their deadline: %s", len(expired), expired)
    return expired


@shared_task(name="sonar_ui.tasks.campaigns_sweep_task")
def campaigns_sweep_task() -> dict:
    """Resume every step a lost message or a killed worker left: launches, scoring, settling."""
    from sonar_ui.selectors import campaigns_needing_work

    work = campaigns_needing_work(older_than=timedelta(seconds=settings.SONAR_STEP_RESUME_AFTER_S))
    for campaign in work.launching:
        services.launch_enqueue(campaign)
    for submission in work.scoring:
        services.scoring_enqueue(
            campaign_id=submission.campaign_id,
            gradient=submission,
            best_ppm=submission.campaign.best_accuracy_ppm or 0,
        )
    for campaign_id in work.waiting:
        campaign_evaluate_pending.delay(campaign_id)
    for campaign_id in work.unsettled:
        campaign_settle_task.delay(campaign_id)
    return {
        name: len(getattr(work, name)) for name in ("launching", "scoring", "waiting", "unsettled")
    }
