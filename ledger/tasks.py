"""Periodic ledger work for Celery beat."""

from __future__ import annotations

from celery import shared_task

from ledger.models import LedgerHead
from ledger.services import checkpoint_create


@shared_task(name="ledger.checkpoint")
def ledger_checkpoint() -> int | None:
    """Sign a checkpoint when entries were added since the last one; returns its tree size."""
    if not LedgerHead.objects.filter(seq__gt=0).exists():
        return None  # an empty ledger has nothing to sign yet
    return checkpoint_create().tree_size
