"""Periodic ledger work for Celery beat."""

from __future__ import annotations

import logging

from celery import shared_task

from ledger.errors import ChainBrokenError
from ledger.models import LedgerHead
from ledger.services import checkpoint_create
from ledger.verification import ledger_verify

logger = logging.getLogger(__name__)


@shared_task(name="ledger.checkpoint")
def ledger_checkpoint() -> int | None:
    """Sign a checkpoint when entries were added since the last one; returns its tree size."""
    if not LedgerHead.objects.filter(seq__gt=0).exists():
        return None  # an empty ledger has nothing to sign yet
    return checkpoint_create().tree_size


@shared_task(name="ledger.verify")
def ledger_verify_task() -> str:
    """Check the whole ledger as `manage.py ledger_verify` does; fail loudly if it is broken.

    In-process (jobs=1): a Celery pool process may not start processes of its own.
    """
    try:
        report = ledger_verify(jobs=1)
    except ChainBrokenError as exc:
        logger.error("Ledger BROKEN: %s", exc)
        raise
    logger.info("%s", report.summary())
    return report.summary()
