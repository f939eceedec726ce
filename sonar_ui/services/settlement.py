"""Settlement: the capsule delivers the final model, then Sonar pays what accrued and refunds.

`campaign_settle` (evaluation worker) rejects what still waits and enqueues the capsule's
delivery chained to `campaign_settle_finish`, which moves the money and records it, then asks
the capsule to retire the key. Both halves are safe to run again: the capsule delivers one
model once, and the money moves only while the campaign is unsettled.
"""

from __future__ import annotations

import logging

from celery import chain
from django.db import transaction
from django.utils import timezone

from capsule import tasks as capsule_tasks
from ledger import services as ledger
from ledger.selectors import account_balance
from sonar_ui.models import PPM, Campaign, GradientSubmission, Payout
from sonar_ui.services.records import record

logger = logging.getLogger(__name__)


def settlement_enqueue(campaign_id: int) -> None:
    """Ask an evaluation worker to settle the campaign (a no-op once settled)."""
    from sonar_ui.tasks import campaign_settle_task

    try:
        campaign_settle_task.delay(campaign_id)
    except Exception:
        logger.exception(
            "campaign %s: could not enqueue settlement now; the sweep will", campaign_id
        )


def campaign_settle(*, campaign_id: int) -> Campaign:
    """Reject what still waits and have the capsule deliver the final model. Safe to rerun."""
    from sonar_ui.services.campaigns import campaign_current_version
    from sonar_ui.services.gradients import gradient_reject

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        if campaign.status != Campaign.Status.COMPLETED or campaign.settled_at is not None:
            return campaign
        # Waiting gradients will never be evaluated now: reject them with the reason.
        for submission in campaign.gradients.filter(
            status__in=[GradientSubmission.Status.PENDING, GradientSubmission.Status.EVALUATING]
        ).order_by("id"):
            gradient_reject(
                campaign,
                submission,
                reason=f"Campaign '{campaign.name}' completed ({campaign.completion_reason}) "
                "before this gradient was evaluated.",
            )
        final = campaign_current_version(campaign)
        metadata = {
            "campaign": campaign.id,
            "name": campaign.name,
            "version": final.number,
            "accuracy": final.accuracy_ppm / PPM,
            "start_accuracy": (campaign.start_accuracy_ppm or 0) / PPM,
            "target_accuracy": campaign.target_accuracy,
            "completion_reason": campaign.completion_reason,
        }
    delivery_enqueue(campaign, blob=final.blob_address, metadata=metadata)
    campaign.refresh_from_db()  # in the embedded eager mode it is settled by now
    return campaign


def delivery_enqueue(campaign: Campaign, *, blob: str, metadata: dict) -> None:
    from sonar_ui.tasks import campaign_settle_finish_task

    steps = chain(
        capsule_tasks.model_deliver.si(
            campaign_id=campaign.id,
            encrypted_weights_blob=blob,
            owner_id=campaign.owner_id,
            metadata=metadata,
        ),
        campaign_settle_finish_task.s(campaign_id=campaign.id),
    )
    try:
        steps.apply_async()
    except Exception:
        logger.exception("campaign %s: could not enqueue delivery now; the sweep will", campaign.id)


def campaign_settle_finish(*, campaign_id: int, result: dict) -> Campaign:
    """Record the delivery, settle accrued payouts, refund the rest; then retire the key."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        if campaign.status != Campaign.Status.COMPLETED or campaign.settled_at is not None:
            return campaign
        if not result.get("ok"):
            # Money waits for the model: the owner is told on the campaign, the sweep retries
            # (for instance once the owner registers a working PGP key).
            logger.warning(
                "campaign %s: not settled, delivery failed: %s", campaign.id, result.get("error")
            )
            return campaign
        campaign.result_sha256 = result["sha256"]
        campaign.result_filename = result["filename"]
        campaign.result_content_type = result["content_type"]
        campaign.result_pgp_fingerprint = result["pgp_fingerprint"]
        escrow = ledger.account_escrow_for_campaign(campaign_id=campaign.id)
        for payout in campaign.payouts.filter(status=Payout.Status.ACCRUED).order_by("id"):
            ledger.transfer(
                debit=escrow,
                credit=ledger.account_by_public_id(public_id=payout.payout_account),
                amount_minor=payout.amount_minor,
                idempotency_key=f"payout:{payout.id}",
                memo=f"Payout for gradient #{payout.gradient_id} of campaign '{campaign.name}'",
                kind="payout.settled",
                campaign_id=campaign.id,
            )
            payout.status = Payout.Status.SETTLED
            payout.settled_at = timezone.now()
            payout.save(update_fields=["status", "settled_at"])
        remainder = account_balance(account=escrow)
        if remainder > 0:
            ledger.transfer(
                debit=escrow,
                credit=ledger.account_wallet_for_user(user=campaign.owner),
                amount_minor=remainder,
                idempotency_key=f"campaign:{campaign.id}:refund",
                memo=f"Unspent bounty of campaign '{campaign.name}' returned",
                kind="bounty.refunded",
                campaign_id=campaign.id,
            )
        final_version = campaign.current_version
        record(
            "campaign.completed",
            campaign,
            reason=campaign.completion_reason,
            final_version=final_version,
            accuracy_ppm=campaign.best_accuracy_ppm,
            spent_minor=campaign.spent_minor,
            refunded_minor=remainder,
            result_sha256=result["sha256"],
        )
        campaign.settled_at = timezone.now()
        campaign.save()
    try:
        capsule_tasks.keypair_retire.delay(campaign_id=campaign.id)
    except Exception:
        logger.exception("campaign %s: could not enqueue the key's retirement", campaign.id)
    return campaign
