"""Evaluation: each waiting gradient of a campaign, oldest first, scored and decided."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from capsule import services as capsule
from ledger import services as ledger
from openmined.money import format_minor, format_ppm
from sonar_ui import rules
from sonar_ui.models import PPM, Campaign, GradientSubmission, ModelVersion, Payout
from sonar_ui.services.campaigns import (
    campaign_current_version,
    campaign_mark_completed,
    campaign_model,
)
from sonar_ui.services.gradients import gradient_reject
from sonar_ui.services.settlement import settlement_enqueue
from syft import wire
from syft.encrypted import EncryptedArray
from syft.errors import HeadroomExhaustedError, SyftError

logger = logging.getLogger(__name__)

# Publish a re-encrypted model when fewer bits than this remain: room for about five more
# rounds of scale growth, so gradients computed on slightly old versions still fit.
REFRESH_BELOW_HEADROOM_BITS = 512


def campaign_evaluate_next(*, campaign_id: int) -> GradientSubmission | None:
    """Evaluate the oldest waiting gradient of one campaign; None when nothing waits.

    The campaign row is locked for the whole evaluation: gradients of one campaign are
    evaluated one at a time, in order of arrival, each against the then-current model, even
    with many workers. A worker killed mid-evaluation rolls the transaction back, so the
    gradient stays waiting and is evaluated (and paid) exactly once by the next run.
    """
    waiting = [GradientSubmission.Status.PENDING, GradientSubmission.Status.EVALUATING]
    # Show the next in line as "evaluating" while the (long) locked transaction runs; if the
    # worker dies it stays "evaluating" and is picked up again below.
    next_in_line = (
        GradientSubmission.objects.filter(campaign_id=campaign_id, status__in=waiting)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if next_in_line is None:
        return None
    GradientSubmission.objects.filter(
        pk=next_in_line, status=GradientSubmission.Status.PENDING
    ).update(status=GradientSubmission.Status.EVALUATING)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        submission = (
            campaign.gradients.filter(
                status__in=[GradientSubmission.Status.PENDING, GradientSubmission.Status.EVALUATING]
            )
            .order_by("id")
            .first()
        )
        if submission is None:
            return None
        if campaign.status != Campaign.Status.OPEN:
            gradient_reject(
                campaign,
                submission,
                reason=f"Campaign '{campaign.name}' was {campaign.status} before this gradient "
                "was evaluated.",
            )
            return submission
        reason = _takeover_reason(campaign, submission)
        if reason:
            gradient_reject(campaign, submission, reason=reason)
            return submission
        _evaluate(campaign, submission)
    if campaign.status == Campaign.Status.COMPLETED:
        transaction.on_commit(lambda: settlement_enqueue(campaign.id))
    return submission


def _takeover_reason(campaign: Campaign, submission: GradientSubmission) -> str:
    """The anti-takeover rule: K accepted gradients from others between two of one account."""
    k = campaign.min_other_accepted
    if k == 0:
        return ""
    accepted = campaign.gradients.filter(status=GradientSubmission.Status.ACCEPTED)
    last_own = accepted.filter(payout_account=submission.payout_account).order_by("-id").first()
    if last_own is None:
        return ""
    others_since = accepted.filter(id__gt=last_own.id).exclude(
        payout_account=submission.payout_account
    )
    count = others_since.count()
    if count >= k:
        return ""
    return (
        f"Campaign '{campaign.name}' accepts a payout account's next gradient only after {k} "
        f"accepted gradients from others; {count} have been accepted since yours."
    )


def _load(campaign: Campaign, address: str, shape: tuple[int, ...]):
    public_key = capsule.public_key_for(campaign_id=campaign.id)
    return wire.encrypted_loads(ledger.blob_get(address), public_key=public_key,
                                expected_shape=shape)  # fmt: skip


class StaleGradientError(Exception):
    """The gradient was computed on weights so old that it no longer fits the current model."""


def _candidate(campaign: Campaign, submission: GradientSubmission) -> tuple[str, EncryptedArray]:
    """current − lr·gradient/n on ciphertexts: its blob address and the array itself."""
    model = campaign_model(campaign)
    shape = tuple(model.weight_shape)
    gradient = _load(campaign, submission.blob_address, shape)
    weights = _load(campaign, campaign_current_version(campaign).blob_address, shape)
    try:
        candidate = model.update(
            weights, gradient, learning_rate=campaign.learning_rate, n_samples=submission.n_samples
        )
    except HeadroomExhaustedError as exc:
        # Accepted versions are refreshed long before this (see _publishable); only a gradient
        # computed on a version many refreshes old carries a scale this large.
        raise StaleGradientError(
            f"This gradient was computed on model version {submission.base_version}, whose "
            f"fixed-point scale no longer fits version {campaign.current_version}; download "
            "the current model and compute it again."
        ) from exc
    return ledger.blob_put(wire.encrypted_to_bytes(candidate), kind="model"), candidate


def _publishable(campaign: Campaign, candidate: str, array: EncryptedArray) -> str:
    """The candidate, re-encrypted at a fresh scale by the capsule when headroom runs low.

    Every update grows the weights' fixed-point scale (about 90 bits a round); mines compute
    gradients on the published weights, so publishing them with room for several more rounds
    keeps every gradient evaluable. Refreshing costs the capsule one encryption per weight,
    so it is done only when needed.
    """
    if array.headroom_bits() >= REFRESH_BELOW_HEADROOM_BITS:
        return candidate
    return capsule.model_refresh(campaign_id=campaign.id, encrypted_weights_blob=candidate)


# What a hostile or broken gradient can raise while it is decoded, decrypted and scored: each
# is that gradient's fault and rejects it, so the next one is evaluated (never a stall).
# Infrastructure failures (the database, the broker) are not caught: the task retries.
GRADIENT_FAULTS = (SyftError, capsule.CapsuleError, ArithmeticError, ValueError, TypeError)


def _evaluate(campaign: Campaign, submission: GradientSubmission) -> None:
    try:
        candidate, candidate_array = _candidate(campaign, submission)
        score = capsule.model_score(campaign_id=campaign.id, encrypted_weights_blob=candidate)
    except StaleGradientError as exc:
        gradient_reject(campaign, submission, reason=str(exc))
        return
    except GRADIENT_FAULTS as exc:
        logger.warning(
            "campaign %s gradient %s: rejected as malformed (%s: %s)",
            campaign.id, submission.id, type(exc).__name__, exc,
        )  # fmt: skip
        gradient_reject(
            campaign,
            submission,
            reason="The gradient could not be decoded, decrypted or scored against the current "
            "model; it is rejected as malformed. Compute it again from the current model.",
        )
        return
    if settings.SONAR_EVALUATION_PAUSE_S:
        time.sleep(settings.SONAR_EVALUATION_PAUSE_S)
    score_ppm = round(score * PPM)
    best = campaign.best_accuracy_ppm or 0
    submission.score_ppm = score_ppm
    submission.delta_ppm = score_ppm - best
    submission.evaluated_version = campaign.current_version
    submission.evaluated_at = timezone.now()
    if score_ppm <= best:
        gradient_reject(
            campaign,
            submission,
            reason=f"Accuracy {format_ppm(score_ppm)} does not beat the best so far, "
            f"{format_ppm(best)}.",
        )
        return
    earned = rules.payout_for(
        bounty_minor=campaign.bounty_minor,
        target_ppm=campaign.target_accuracy_ppm,
        delta_ppm=score_ppm - best,
        remaining_minor=campaign.bounty_minor,
    )
    payout = min(earned, campaign.remaining_minor)
    number = campaign.current_version + 1
    candidate = _publishable(campaign, candidate, candidate_array)
    submission.status = GradientSubmission.Status.ACCEPTED
    submission.payout_minor = payout
    submission.reason = (
        f"Accuracy rose from {format_ppm(best)} to {format_ppm(score_ppm)}; earned "
        f"{format_minor(payout)}"
        + (f" (capped from {format_minor(earned)}: the bounty is spent)" if payout < earned else "")
        + "."
    )
    submission.save()
    ModelVersion.objects.create(
        campaign=campaign,
        number=number,
        blob_address=candidate,
        accuracy_ppm=score_ppm,
        gradient=submission,
    )
    campaign.current_version = number
    campaign.best_accuracy_ppm = score_ppm
    campaign.spent_minor += payout
    ledger.ledger_append(
        kind="gradient.accepted",
        campaign_id=campaign.id,
        payload={
            "campaign": campaign.id,
            "gradient": submission.id,
            "version": number,
            "accuracy_ppm": score_ppm,
            "delta_ppm": submission.delta_ppm,
        },
    )
    ledger.ledger_append(
        kind="model.published",
        campaign_id=campaign.id,
        payload={"campaign": campaign.id, "version": number, "blob": candidate,
                 "accuracy_ppm": score_ppm},
    )  # fmt: skip
    if payout > 0:
        Payout.objects.create(
            campaign=campaign,
            gradient=submission,
            payout_account=submission.payout_account,
            amount_minor=payout,
        )
        ledger.ledger_append(
            kind="payout.accrued",
            campaign_id=campaign.id,
            payload={
                "campaign": campaign.id,
                "gradient": submission.id,
                "payout_account": submission.payout_account,
                "amount_minor": payout,
            },
        )
    if score_ppm >= campaign.target_accuracy_ppm:
        campaign_mark_completed(campaign, reason="target accuracy reached")
    elif campaign.remaining_minor == 0:
        campaign_mark_completed(campaign, reason="bounty spent")
    campaign.save()
