"""Full ledger checks that leave a record: the daily beat task and an operator's request."""

from __future__ import annotations

import logging

from django.utils import timezone

from ledger.errors import ChainBrokenError
from ledger.models import LedgerCheck
from ledger.verification import ledger_verify

logger = logging.getLogger(__name__)


def ledger_check_run(*, requested_by: str = "schedule") -> LedgerCheck:
    """Verify the whole ledger in-process and record the outcome; a broken chain re-raises.

    The record is written either way, so the admin index can say "BROKEN at seq N" even when
    the task that found it failed.
    """
    started_at = timezone.now()
    try:
        report = ledger_verify(jobs=1)  # a Celery pool process may not start processes of its own
    except ChainBrokenError as exc:
        LedgerCheck.objects.create(
            started_at=started_at,
            finished_at=timezone.now(),
            ok=False,
            summary=str(exc),
            requested_by=requested_by,
        )
        logger.error("Ledger BROKEN: %s", exc)
        raise
    check = LedgerCheck.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        ok=True,
        summary=report.summary(),
        requested_by=requested_by,
    )
    logger.info("%s", check.summary)
    return check
