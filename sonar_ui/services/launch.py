"""Launch: the capsule makes the key pair and version 0, then Sonar escrows and opens.

Two steps across two kinds of process. `campaign_launch` (web) checks the draft, marks it
`launching` and enqueues the capsule's half (key pair, v0 encrypted and scored) chained to
`campaign_launch_finish` (evaluation worker), which escrows the bounty, records v0 and opens
the campaign — or returns it to draft with the reason. No web process ever holds a private key,
and no task waits on another's result. The beat sweep re-enqueues a launch whose message was
lost; every step is safe to run again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

import numpy as np
from celery import chain
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from capsule import services as capsule
from capsule import tasks as capsule_tasks
from ledger import services as ledger
from ledger.errors import InsufficientFundsError
from ledger.selectors import account_balance
from openmined.money import format_minor, format_ppm
from sonar_ui.errors import CampaignError, CampaignStateError
from sonar_ui.models import PPM, Campaign, ModelVersion
from sonar_ui.services.campaigns import campaign_model, campaign_model_spec, owned_draft
from sonar_ui.services.records import record

logger = logging.getLogger(__name__)


def _insufficient_funds(campaign: Campaign, balance: int) -> CampaignError:
    return CampaignError(
        f"Launching '{campaign.name}' needs {format_minor(campaign.bounty_minor)} in your "
        f"wallet; it holds {format_minor(balance)}. Deposit the difference first.",
        code="insufficient_funds",
        status_code=402,
    )


def campaign_launch(*, campaign_id: int, user: User) -> Campaign:
    """Check the draft and hand the key work to the capsule; the campaign is `launching`."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        owned_draft(campaign, user)
        if capsule.validation_data_summary(campaign_id=campaign.id) is None:
            raise CampaignStateError(
                f"Campaign '{campaign.name}' has no validation data yet; upload a CSV to "
                f"/api/campaigns/{campaign.id}/validation-data/ before launching."
            )
        # Before the capsule's seconds of key generation: a launch that cannot pay fails at
        # once. The escrow transfer in campaign_launch_finish checks again, under its locks.
        balance = account_balance(account=ledger.account_wallet_for_user(user=campaign.owner))
        if balance < campaign.bounty_minor:
            raise _insufficient_funds(campaign, balance)
        campaign.status = Campaign.Status.LAUNCHING
        campaign.launch_error = ""
        campaign.launch_requested_at = timezone.now()
        campaign.save(update_fields=["status", "launch_error", "launch_requested_at"])
    launch_enqueue(campaign)
    campaign.refresh_from_db()  # in the embedded eager mode the capsule has already answered
    return campaign


def launch_enqueue(campaign: Campaign) -> None:
    """Send the capsule's half of the launch, chained to Sonar's reaction; safe to repeat."""
    from sonar_ui.tasks import campaign_launch_finish_task

    model = campaign_model(campaign)
    if campaign.initial_weights is not None:
        weights = np.asarray(campaign.initial_weights, dtype=np.float64)
    else:
        weights = model.initial_weights(method="zeros")
    steps = chain(
        capsule_tasks.campaign_keys_prepare.si(
            campaign_id=campaign.id,
            spec=asdict(campaign_model_spec(campaign)),
            initial_weights=weights.tolist(),
        ),
        campaign_launch_finish_task.s(campaign_id=campaign.id),
    )
    try:
        steps.apply_async()
    except Exception:
        # Stays `launching`; the beat sweep enqueues it again (in the eager mode a failure of
        # the capsule step itself must not turn the request into a 500 either).
        logger.exception("campaign %s: could not enqueue the launch now", campaign.id)


def _back_to_draft(campaign: Campaign, reason: str) -> Campaign:
    campaign.status = Campaign.Status.DRAFT
    campaign.launch_error = reason
    campaign.save(update_fields=["status", "launch_error"])
    logger.info("campaign %s: launch refused: %s", campaign.id, reason)
    return campaign


def campaign_launch_finish(*, campaign_id: int, result: dict) -> Campaign:
    """Sonar's half: escrow, v0 and the ledger entries, or back to draft with the reason."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        if campaign.status != Campaign.Status.LAUNCHING:
            return campaign  # a duplicate message, or the owner cancelled meanwhile
        if not result.get("ok"):
            return _back_to_draft(
                campaign, f"The capsule could not prepare the campaign: {result.get('error')}"
            )
        start_ppm = round(float(result["score"]) * PPM)
        if start_ppm >= campaign.target_accuracy_ppm:
            return _back_to_draft(
                campaign,
                f"The starting model of '{campaign.name}' already scores {format_ppm(start_ppm)}, "
                f"at or above the target {format_ppm(campaign.target_accuracy_ppm)}; raise the "
                "target.",
            )
        owner_wallet = ledger.account_wallet_for_user(user=campaign.owner)
        try:
            with transaction.atomic():
                _open(campaign, address=result["blob"], start_ppm=start_ppm, wallet=owner_wallet)
        except InsufficientFundsError:
            # The wallet was spent while the capsule made the key.
            balance = account_balance(account=owner_wallet)
            return _back_to_draft(campaign, _insufficient_funds(campaign, balance).detail)
    return campaign


def _open(campaign: Campaign, *, address: str, start_ppm: int, wallet) -> None:
    ModelVersion.objects.create(
        campaign=campaign, number=0, blob_address=address, accuracy_ppm=start_ppm
    )
    record(
        "campaign.launched",
        campaign,
        name=campaign.name,
        owner=campaign.owner.username,
        algorithm=campaign.algorithm,
        bounty_minor=campaign.bounty_minor,
        target_accuracy_ppm=campaign.target_accuracy_ppm,
        claimed_start_accuracy_ppm=campaign.claimed_start_accuracy_ppm,
        payout_basis=campaign.payout_basis,
    )
    ledger.transfer(
        debit=wallet,
        credit=ledger.account_escrow_for_campaign(campaign_id=campaign.id),
        amount_minor=campaign.bounty_minor,
        idempotency_key=f"campaign:{campaign.id}:escrow",
        memo=f"Bounty of campaign '{campaign.name}' held in escrow",
        kind="bounty.escrowed",
        campaign_id=campaign.id,
    )
    record(
        "model.published",
        campaign,
        version=0,
        blob=address,
        accuracy_ppm=start_ppm,
        claimed_start_accuracy_ppm=campaign.claimed_start_accuracy_ppm,
    )
    campaign.status = Campaign.Status.OPEN
    campaign.start_accuracy_ppm = start_ppm
    campaign.best_accuracy_ppm = start_ppm
    campaign.current_version = 0
    campaign.launched_at = timezone.now()
    campaign.save()
