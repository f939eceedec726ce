"""Periodic ledger work for Celery beat."""

from __future__ import annotations

import logging

from celery import shared_task

from ledger.models import LedgerHead
from ledger.services import checkpoint_create

logger = logging.getLogger(__name__)


@shared_task(name="ledger.checkpoint")
def ledger_checkpoint() -> int | None:
    """Sign a checkpoint when entries were added since the last one; returns its tree size."""
    if not LedgerHead.objects.filter(seq__gt=0).exists():
        return None  # an empty ledger has nothing to sign yet
    return checkpoint_create().tree_size


@shared_task(name="ledger.verify")
def ledger_verify_task(requested_by: str = "schedule") -> str:
    """Check the whole ledger as `manage.py ledger_verify` does and record the outcome.

    A broken ledger fails the task loudly (after recording it, see ledger.checks).
    """
    from ledger.checks import ledger_check_run

    return ledger_check_run(requested_by=requested_by).summary
