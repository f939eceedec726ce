"""Gradient submission: bound, validate and store an encrypted gradient, exactly once."""

from __future__ import annotations

import hashlib
import json
import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_is_miner
from capsule import services as capsule
from ledger import services as ledger
from sonar_ui.errors import (
    CampaignError,
    CampaignForbiddenError,
    CampaignStateError,
    GradientError,
    IdempotencyKeyReusedError,
)
from sonar_ui.models import Campaign, GradientSubmission
from sonar_ui.services.campaigns import campaign_model
from sonar_ui.services.records import record
from syft import wire
from syft.errors import PayloadTooLargeError, SyftError

logger = logging.getLogger(__name__)

MAX_GRADIENT_BYTES = 16 * 1024 * 1024


def _request_sha256(
    *, base_version: int, n_samples: int, payout_account: str, gradient: dict | bytes
) -> str:
    if isinstance(gradient, bytes):
        # The binary form: its own sha256 stands for it in the canonical request.
        gradient = {"binary_sha256": hashlib.sha256(gradient).hexdigest()}
    canonical = json.dumps(
        {
            "base_version": base_version,
            "n_samples": n_samples,
            "payout_account": payout_account,
            "gradient": gradient,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def gradient_submit(
    *,
    campaign_id: int,
    user: User,
    base_version: int,
    n_samples: int,
    payout_account: str,
    gradient: dict | bytes,
    idempotency_key: str,
) -> tuple[GradientSubmission, bool]:
    """Validate and store an encrypted gradient (wire JSON or binary); (submission, created)."""
    if not user_is_miner(user=user):
        raise CampaignForbiddenError(
            "Only miners can submit gradients; take the miner role on your profile page or "
            'with POST /api/me/roles/ {"role": "miner"}.'
        )
    if not idempotency_key or len(idempotency_key) > 200:
        raise GradientError(
            "Send an Idempotency-Key header (1 to 200 characters) so a retry cannot submit twice.",
            code="idempotency_key_required",
        )
    request_sha = _request_sha256(
        base_version=base_version,
        n_samples=n_samples,
        payout_account=payout_account,
        gradient=gradient,
    )
    existing = GradientSubmission.objects.filter(
        submitted_by=user, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return _replayed(existing, campaign_id, request_sha), False

    campaign = Campaign.objects.filter(pk=campaign_id).exclude(status=Campaign.Status.DRAFT).first()
    if campaign is None:
        raise CampaignError(
            f"There is no open campaign {campaign_id}.", code="not_found", status_code=404
        )
    if campaign.status != Campaign.Status.OPEN:
        raise CampaignStateError(
            f"Campaign '{campaign.name}' is {campaign.status}; it takes no more gradients."
        )
    if not campaign.versions.filter(number=base_version).exists():
        raise GradientError(
            f"Campaign '{campaign.name}' has no model version {base_version}; the current "
            f"version is {campaign.current_version}.",
            code="unknown_base_version",
        )
    try:
        account = ledger.account_by_public_id(public_id=payout_account)
    except Exception as exc:  # DoesNotExist of the ledger's Account model
        raise GradientError(
            f"Payout account {payout_account!r} does not exist; use the account shown by "
            "GET /api/wallet/.",
            code="unknown_payout_account",
        ) from exc
    if account.kind != "wallet":
        raise GradientError(
            f"Payout account {payout_account!r} is not a wallet; payouts go to wallets only.",
            code="unknown_payout_account",
        )
    public_key = capsule.public_key_for(campaign_id=campaign.id)
    shape = tuple(campaign_model(campaign).weight_shape)
    try:
        parse = (
            wire.encrypted_from_bytes if isinstance(gradient, bytes) else wire.encrypted_from_json
        )
        encrypted = parse(
            gradient, public_key=public_key, expected_shape=shape, max_bytes=MAX_GRADIENT_BYTES
        )
    except PayloadTooLargeError as exc:
        raise GradientError(str(exc), code="payload_too_large", status_code=413) from exc
    except SyftError as exc:
        raise GradientError(
            f"Gradient for campaign '{campaign.name}' rejected: {exc}", code=_syft_code(exc)
        ) from exc

    with transaction.atomic():
        # Two retries of the same request may race past the check above; the unique
        # constraint decides, and the loser returns the winner's row.
        existing = (
            GradientSubmission.objects.select_for_update()
            .filter(submitted_by=user, idempotency_key=idempotency_key)
            .first()
        )
        if existing is not None:
            return _replayed(existing, campaign_id, request_sha), False
        data = wire.encrypted_to_bytes(encrypted)
        address = wire.blob_address(data)
        earlier = campaign.gradients.filter(blob_address=address).values_list("id", flat=True)
        if earlier:
            # The same ciphertexts again under a new key: a replay, which must not be paid twice.
            raise GradientError(
                f"This gradient is byte for byte gradient #{earlier[0]} of campaign "
                f"'{campaign.name}', already submitted; compute a new one from the current model.",
                code="duplicate_gradient",
                status_code=409,
            )
        ledger.blob_put(data, kind="gradient")
        submission = GradientSubmission.objects.create(
            campaign=campaign,
            submitted_by=user,
            base_version=base_version,
            blob_address=address,
            n_samples=n_samples,
            payout_account=payout_account,
            idempotency_key=idempotency_key,
            request_sha256=request_sha,
        )
        record(
            "gradient.submitted",
            campaign,
            gradient=submission.id,
            base_version=base_version,
            n_samples=n_samples,
            payout_account=payout_account,
            blob=address,
        )
        transaction.on_commit(lambda: evaluation_enqueue(campaign.id))
    return submission, True


def _replayed(existing: GradientSubmission, campaign_id: int, request_sha: str):
    if existing.campaign_id != campaign_id or existing.request_sha256 != request_sha:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was already used for a different gradient; use a new key "
            "for new content."
        )
    return existing


def _syft_code(exc: SyftError) -> str:
    """ShapeMismatchError -> 'shape_mismatch'."""
    name = type(exc).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def evaluation_enqueue(campaign_id: int) -> None:
    from sonar_ui.tasks import campaign_evaluate_pending

    try:
        campaign_evaluate_pending.delay(campaign_id)
    except Exception:
        # The submission is committed and stays pending: the periodic sweep enqueues it again.
        # (In the embedded eager mode the evaluation runs right here; its failure must not
        # turn an accepted submission into a 500.)
        logger.exception("Could not evaluate campaign %s now; the sweep will retry", campaign_id)


def gradient_reject(campaign: Campaign, submission: GradientSubmission, *, reason: str) -> None:
    """Reject with a reason the submitter reads; the score, if any, stays with the owner."""
    submission.status = GradientSubmission.Status.REJECTED
    submission.reason = reason
    submission.evaluated_at = submission.evaluated_at or timezone.now()
    submission.save()
    # No accuracy on the public ledger for a rejected gradient: it would make the validation
    # set an oracle anyone can probe (docs/incentives.md).
    record("gradient.rejected", campaign, gradient=submission.id, reason=reason)
