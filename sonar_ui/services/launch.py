"""Launch: escrow the bounty, have the capsule make the key pair and v0, open the campaign."""

from __future__ import annotations

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from capsule import services as capsule
from ledger import services as ledger
from ledger.errors import InsufficientFundsError
from ledger.selectors import account_balance
from openmined.money import format_minor, format_ppm
from sonar_ui.errors import CampaignError, CampaignStateError
from sonar_ui.models import PPM, Campaign, ModelVersion
from sonar_ui.services.campaigns import campaign_model, campaign_model_spec, owned_draft


def _insufficient_funds(campaign: Campaign, balance: int) -> CampaignError:
    return CampaignError(
        f"Launching '{campaign.name}' needs {format_minor(campaign.bounty_minor)} in your "
        f"wallet; it holds {format_minor(balance)}. Deposit the difference first.",
        code="insufficient_funds",
        status_code=402,
    )


def campaign_launch(*, campaign_id: int, user: User) -> Campaign:
    """Escrow the bounty, make the key pair, publish v0 and measure it — all or nothing.

    Every ledger write locks the ledger's head until this transaction commits, and so stalls
    every other campaign's gradients and payouts meanwhile. So the slow cryptography (making
    the key pair, encrypting and scoring v0) comes first, and the launch's own entries last.
    The capsule records key.published as it stores the key, so that entry leads.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        owned_draft(campaign, user)
        if capsule.validation_data_summary(campaign_id=campaign.id) is None:
            raise CampaignStateError(
                f"Campaign '{campaign.name}' has no validation data yet; upload a CSV to "
                f"/api/campaigns/{campaign.id}/validation-data/ before launching."
            )
        owner_wallet = ledger.account_wallet_for_user(user=campaign.owner)
        escrow = ledger.account_escrow_for_campaign(campaign_id=campaign.id)
        # Before seconds of key generation: a launch that cannot pay fails at once. The
        # transfer below checks again, under its locks.
        balance = account_balance(account=owner_wallet)
        if balance < campaign.bounty_minor:
            raise _insufficient_funds(campaign, balance)
        spec = campaign_model_spec(campaign)
        capsule.keypair_create(campaign_id=campaign.id, spec=spec)
        model = campaign_model(campaign)
        if campaign.initial_weights is not None:
            weights = np.asarray(campaign.initial_weights, dtype=np.float64)
        else:
            weights = model.initial_weights(method="zeros")
        address = capsule.model_encrypt_initial(campaign_id=campaign.id, weights=weights)
        score = capsule.model_score(campaign_id=campaign.id, encrypted_weights_blob=address)
        start_ppm = round(score * PPM)
        if start_ppm >= campaign.target_accuracy_ppm:
            raise CampaignError(
                f"The starting model of '{campaign.name}' already scores "
                f"{format_ppm(start_ppm)}, at or above the target "
                f"{format_ppm(campaign.target_accuracy_ppm)}; raise the target.",
                code="target_already_reached",
            )
        ModelVersion.objects.create(
            campaign=campaign, number=0, blob_address=address, accuracy_ppm=start_ppm
        )
        ledger.ledger_append(
            kind="campaign.launched",
            campaign_id=campaign.id,
            payload={
                "campaign": campaign.id,
                "name": campaign.name,
                "owner": campaign.owner.username,
                "algorithm": campaign.algorithm,
                "bounty_minor": campaign.bounty_minor,
                "target_accuracy_ppm": campaign.target_accuracy_ppm,
                "claimed_start_accuracy_ppm": campaign.claimed_start_accuracy_ppm,
            },
        )
        try:
            ledger.transfer(
                debit=owner_wallet,
                credit=escrow,
                amount_minor=campaign.bounty_minor,
                idempotency_key=f"campaign:{campaign.id}:escrow",
                memo=f"Bounty of campaign '{campaign.name}' held in escrow",
                kind="bounty.escrowed",
                campaign_id=campaign.id,
            )
        except InsufficientFundsError as exc:
            # The wallet was spent while the key was being made.
            raise _insufficient_funds(campaign, account_balance(account=owner_wallet)) from exc
        ledger.ledger_append(
            kind="model.published",
            campaign_id=campaign.id,
            payload={
                "campaign": campaign.id,
                "version": 0,
                "blob": address,
                "accuracy_ppm": start_ppm,
                "claimed_start_accuracy_ppm": campaign.claimed_start_accuracy_ppm,
            },
        )
        campaign.status = Campaign.Status.OPEN
        campaign.start_accuracy_ppm = start_ppm
        campaign.best_accuracy_ppm = start_ppm
        campaign.current_version = 0
        campaign.launched_at = timezone.now()
        campaign.save()
    return campaign
