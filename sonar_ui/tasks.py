"""Celery tasks of Sonar: thin, idempotent, on the evaluation queue."""

from __future__ import annotations

import logging

from celery import shared_task

from sonar_ui import services

logger = logging.getLogger(__name__)


@shared_task(name="sonar_ui.tasks.campaign_evaluate_pending")
def campaign_evaluate_pending(campaign_id: int) -> int:
    """Evaluate every waiting gradient of the campaign, oldest first; return how many."""
    count = 0
    while services.campaign_evaluate_next(campaign_id=campaign_id) is not None:
        count += 1
    return count


@shared_task(name="sonar_ui.tasks.campaign_settle_task")
def campaign_settle_task(campaign_id: int) -> None:
    """Deliver, pay and refund a completed campaign (a no-op when already settled)."""
    services.campaign_settle(campaign_id=campaign_id)


@shared_task(name="sonar_ui.tasks.campaigns_expire_task")
def campaigns_expire_task() -> list[int]:
    """Complete campaigns whose deadline passed (Celery beat, every minute)."""
    expired = services.campaigns_expire()
    if expired:
        logger.info("Completed %d campaign(s) past their deadline: %s", len(expired), expired)
    return expired


@shared_task(name="sonar_ui.tasks.campaigns_sweep_task")
def campaigns_sweep_task() -> None:
    """Re-enqueue work a lost message left behind: waiting gradients, unsettled campaigns."""
    from sonar_ui.selectors import campaigns_needing_work

    waiting, unsettled = campaigns_needing_work()
    for campaign_id in waiting:
        campaign_evaluate_pending.delay(campaign_id)
    for campaign_id in unsettled:
        campaign_settle_task.delay(campaign_id)
