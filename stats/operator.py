"""What the operator's admin index summarises: work waiting, money held, the ledger's health.

Read-only queries of the other apps (as all of stats), plus one read of the Celery broker.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from ledger.models import Account, AccountKind, Checkpoint, LedgerCheck, LedgerHead
from sonar_ui.models import Campaign, GradientSubmission, Payout

logger = logging.getLogger(__name__)

QUEUES = ("default", "evaluation", "capsule", "mining")
# kombu's Redis transport keeps one list per priority step: "name", "name\x06\x163", ...
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEP = "\x06\x16"


def celery_queue_lengths() -> dict:
    """{"mode": "eager"} when tasks run in the web process, else the length of each queue."""
    from openmined.celery import app

    url = settings.CELERY_BROKER_URL
    if app.conf.task_always_eager or not url:
        return {"mode": "eager", "queues": {}}
    if not url.startswith(("redis://", "rediss://")):
        return {"mode": "unknown broker", "queues": {}}
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        with client.pipeline() as pipe:
            for queue in QUEUES:
                for step in _PRIORITY_STEPS:
                    pipe.llen(queue if step == 0 else f"{queue}{_PRIORITY_SEP}{step}")
            lengths = pipe.execute()
    except redis.exceptions.RedisError as exc:
        logger.warning("admin summary: the broker did not answer: %s", exc)
        return {"mode": "unreachable", "queues": {}}
    steps = len(_PRIORITY_STEPS)
    return {
        "mode": "redis",
        "queues": {
            queue: sum(lengths[index * steps : (index + 1) * steps])
            for index, queue in enumerate(QUEUES)
        },
    }


def operator_summary(*, now: datetime | None = None) -> dict:
    """The numbers an operator checks first; each links to where to act on it in the admin."""
    now = now or timezone.now()
    campaigns = dict(
        Campaign.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    gradients = dict(
        GradientSubmission.objects.filter(
            status__in=[GradientSubmission.Status.PENDING, GradientSubmission.Status.EVALUATING]
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    escrow = Account.objects.filter(kind=AccountKind.ESCROW).aggregate(total=Sum("balance_minor"))
    accrued = Payout.objects.filter(status=Payout.Status.ACCRUED).aggregate(
        total=Sum("amount_minor")
    )
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    head = LedgerHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    check = LedgerCheck.objects.order_by("-finished_at").first()
    return {
        "campaigns_open": campaigns.get(Campaign.Status.OPEN, 0),
        "campaigns_by_status": campaigns,
        "gradients_pending": gradients.get(GradientSubmission.Status.PENDING, 0),
        "gradients_evaluating": gradients.get(GradientSubmission.Status.EVALUATING, 0),
        "escrow_minor": escrow["total"] or 0,
        "accrued_minor": accrued["total"] or 0,
        "ledger_size": head,
        "checkpoint": checkpoint,
        "checkpoint_age": (now - checkpoint.created_at) if checkpoint else None,
        "entries_since_checkpoint": head - (checkpoint.tree_size if checkpoint else 0),
        "ledger_check": check,
        "celery": celery_queue_lengths(),
    }
