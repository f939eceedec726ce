"""Celery tasks of hosted mines: thin, on the mining queue."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from mine_ui.mining import mine_train_once, mining_client
from mine_ui.models import Mine
from mine_ui.sonar_address import sonar_address_check
from pysonar import RetryPolicy, SonarError, SonarUnavailable

logger = logging.getLogger(__name__)

# A worker must not sit in backoff: the next beat tick is the retry.
TASK_RETRY = RetryPolicy(max_attempts=2, base_delay_s=1.0, max_delay_s=2.0)


@shared_task(name="mine_ui.tasks.mine_train_task")
def mine_train_task(mine_id: int) -> int:
    """One mining pass of one mine; return how many contributions it touched."""
    mine = Mine.objects.select_related("owner").filter(pk=mine_id).first()
    if mine is None:
        return 0
    try:
        # Checked again at every pass: the operator's allow-list or the name's addresses may
        # have changed since the address was saved.
        sonar_address_check(mine.sonar_url)
    except ValidationError as exc:
        logger.error("Mine %s: its Sonar address is refused: %s", mine_id, " ".join(exc.messages))
        return 0
    try:
        return len(mine_train_once(mine=mine, client=mining_client(mine=mine, retry=TASK_RETRY)))
    except SonarUnavailable as exc:
        logger.warning("Mine %s: Sonar unavailable, retrying at the next tick: %s", mine_id, exc)
    except SonarError as exc:
        logger.error("Mine %s: Sonar refused the mining pass: %s", mine_id, exc)
    return 0


@shared_task(name="mine_ui.tasks.mines_hosted_train_task")
def mines_hosted_train_task() -> list[int]:
    """Celery beat: enqueue a pass for every hosted mine that participates automatically."""
    mine_ids = list(
        Mine.objects.filter(policy__auto_participate=True, policy__paused=False).values_list(
            "pk", flat=True
        )
    )
    for mine_id in mine_ids:
        mine_train_task.delay(mine_id)
    return mine_ids
