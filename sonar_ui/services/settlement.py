"""Settlement: deliver the final model, pay what was accrued, refund the rest."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from capsule import services as capsule
from ledger import services as ledger
from ledger.selectors import account_balance
from sonar_ui.models import PPM, Campaign, GradientSubmission, Payout


def settlement_enqueue(campaign_id: int) -> None:
    from sonar_ui.tasks import campaign_settle_task

    campaign_settle_task.delay(campaign_id)


def campaign_settle(*, campaign_id: int) -> Campaign:
    """Deliver the final model, pay accrued payouts, refund the rest. Safe to run again."""
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
        delivery = capsule.model_deliver(
            campaign_id=campaign.id,
            encrypted_weights_blob=final.blob_address,
            owner_id=campaign.owner_id,
            metadata={
                "campaign": campaign.id,
                "name": campaign.name,
                "version": final.number,
                "accuracy": final.accuracy_ppm / PPM,
                "start_accuracy": (campaign.start_accuracy_ppm or 0) / PPM,
                "target_accuracy": campaign.target_accuracy,
                "completion_reason": campaign.completion_reason,
            },
        )
        # The artifact stays with the capsule (a plain model must not sit in the blob store);
        # the campaign keeps its digest, and downloads come from capsule.delivery_for.
        campaign.result_sha256 = delivery.sha256
        campaign.result_filename = delivery.filename
        campaign.result_content_type = delivery.content_type
        campaign.result_pgp_fingerprint = delivery.pgp_fingerprint
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
        ledger.ledger_append(
            kind="campaign.completed",
            campaign_id=campaign.id,
            payload={
                "campaign": campaign.id,
                "reason": campaign.completion_reason,
                "final_version": final.number,
                "accuracy_ppm": final.accuracy_ppm,
                "spent_minor": campaign.spent_minor,
                "refunded_minor": remainder,
                "result_sha256": delivery.sha256,
            },
        )
        campaign.settled_at = timezone.now()
        campaign.save()
        capsule.keypair_retire(campaign_id=campaign.id)
    return campaign
