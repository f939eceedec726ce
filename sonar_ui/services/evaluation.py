"""Evaluation: every waiting gradient of a campaign, oldest first, as explicit states.

    pending ──advance (evaluation worker, campaign row locked, short)──> evaluating
        candidate = current − lr·gradient/n computed on ciphertexts and stored as a blob
    evaluating ──capsule.candidate_score (capsule worker, no lock)──> a score or "malformed"
    evaluating ──gradient_decide (evaluation worker, row locked, short)──> accepted | rejected
        accepted: version N+1, payout accrued, ledger entries; then advance again

One gradient per campaign is in flight at a time, so each is scored against the model current
at its turn, in arrival order, with any number of workers. Every step is idempotent: a duplicate
message finds the state already moved on and does nothing; a worker killed mid-step leaves the
state where it was, and the beat sweep (sonar_ui.tasks.campaigns_sweep_task) enqueues it again.
Any failure to decode, decrypt or score a gradient rejects that gradient, never stalls the
campaign. Lock order everywhere: the campaign row (FOR NO KEY UPDATE), then the ledger.
"""

from __future__ import annotations

import logging
import time

from celery import chain
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from capsule import services as capsule
from capsule import tasks as capsule_tasks
from ledger import services as ledger
from openmined.money import format_minor, format_ppm
from sonar_ui import rules
from sonar_ui.models import PPM, Campaign, GradientSubmission, ModelVersion, Payout
from sonar_ui.services.campaigns import (
    campaign_current_version,
    campaign_mark_completed,
    campaign_model,
)
from sonar_ui.services.gradients import evaluation_enqueue, gradient_reject
from sonar_ui.services.records import record
from sonar_ui.services.settlement import settlement_enqueue
from syft import wire
from syft.errors import HeadroomExhaustedError, SyftError

logger = logging.getLogger(__name__)

# What a hostile or broken gradient can raise while its candidate is computed: each is that
# gradient's fault and rejects it, so the next one is evaluated (never a stall). Infrastructure
# failures (the database, the broker) are not caught: the step is retried.
GRADIENT_FAULTS = (SyftError, capsule.CapsuleError, ArithmeticError, ValueError, TypeError)
MALFORMED = (
    "The gradient could not be decoded, decrypted or scored against the current model; it is "
    "rejected as malformed. Compute it again from the current model."
)


class StaleGradientError(Exception):
    """The gradient was computed on weights so old that it no longer fits the current model."""


def campaign_evaluate_next(*, campaign_id: int) -> GradientSubmission | None:
    """Advance: start evaluating the campaign's oldest waiting gradient; None when none waits.

    Gradients refused before scoring (the campaign closed, the takeover rule, a gradient that
    cannot be combined with the model) are rejected here and the next one is taken. At most one
    gradient per campaign is `evaluating`; while one is, this does nothing.
    """
    started: GradientSubmission | None = None
    last: GradientSubmission | None = None
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        if campaign.gradients.filter(status=GradientSubmission.Status.EVALUATING).exists():
            return None
        for submission in campaign.gradients.filter(
            status=GradientSubmission.Status.PENDING
        ).order_by("id"):
            last = submission
            reason = _refusal_before_scoring(campaign, submission)
            if reason:
                gradient_reject(campaign, submission, reason=reason)
                continue
            try:
                candidate = _candidate(campaign, submission)
            except StaleGradientError as exc:
                gradient_reject(campaign, submission, reason=str(exc))
                continue
            except GRADIENT_FAULTS as exc:
                _log_malformed(campaign, submission, exc)
                gradient_reject(campaign, submission, reason=MALFORMED)
                continue
            submission.status = GradientSubmission.Status.EVALUATING
            submission.candidate_blob = candidate
            submission.evaluated_version = campaign.current_version
            submission.scoring_started_at = timezone.now()
            submission.save(
                update_fields=[
                    "status",
                    "candidate_blob",
                    "evaluated_version",
                    "scoring_started_at",
                ]
            )
            started = submission
            break
        best_ppm = campaign.best_accuracy_ppm or 0
    if started is not None:
        scoring_enqueue(campaign_id=campaign_id, gradient=started, best_ppm=best_ppm)
        return started
    return last


def scoring_enqueue(*, campaign_id: int, gradient: GradientSubmission, best_ppm: int) -> None:
    """The capsule scores the candidate, then gradient_decide reacts; safe to send twice."""
    from sonar_ui.tasks import gradient_decide_task

    steps = chain(
        capsule_tasks.candidate_score.si(
            campaign_id=campaign_id,
            gradient_id=gradient.id,
            candidate_blob=gradient.candidate_blob,
            publish_above_ppm=best_ppm,
        ),
        gradient_decide_task.s(campaign_id=campaign_id, gradient_id=gradient.id),
    )
    try:
        steps.apply_async()
    except Exception:
        logger.exception(
            "campaign %s gradient %s: could not enqueue scoring now; the sweep will",
            campaign_id,
            gradient.id,
        )


def _refusal_before_scoring(campaign: Campaign, submission: GradientSubmission) -> str:
    if campaign.status != Campaign.Status.OPEN:
        return (
            f"Campaign '{campaign.name}' was {campaign.status} before this gradient was evaluated."
        )
    accepted = campaign.gradients.filter(status=GradientSubmission.Status.ACCEPTED)
    last_own = accepted.filter(payout_account=submission.payout_account).order_by("-id").first()
    others = None
    if last_own is not None:
        others = (
            accepted.filter(id__gt=last_own.id)
            .exclude(payout_account=submission.payout_account)
            .count()
        )
    k = campaign.min_other_accepted
    if rules.takeover_wait(min_other_accepted=k, accepted_from_others_since_own=others):
        return (
            f"Campaign '{campaign.name}' accepts a payout account's next gradient only after {k} "
            f"accepted gradients from others; {others} have been accepted since yours."
        )
    return ""


def _load(campaign: Campaign, address: str, shape: tuple[int, ...]):
    public_key = capsule.public_key_for(campaign_id=campaign.id)
    return wire.encrypted_loads(
        ledger.blob_get(address), public_key=public_key, expected_shape=shape
    )


def _candidate(campaign: Campaign, submission: GradientSubmission) -> str:
    """current − lr·gradient/n on ciphertexts, stored as a blob; returns its address."""
    model = campaign_model(campaign)
    shape = tuple(model.weight_shape)
    gradient = _load(campaign, submission.blob_address, shape)
    weights = _load(campaign, campaign_current_version(campaign).blob_address, shape)
    try:
        candidate = model.update(
            weights, gradient, learning_rate=campaign.learning_rate, n_samples=submission.n_samples
        )
    except HeadroomExhaustedError as exc:
        # The capsule publishes versions re-encrypted long before this; only a gradient
        # computed on a version many refreshes old carries a scale this large.
        raise StaleGradientError(
            f"This gradient was computed on model version {submission.base_version}, whose "
            f"fixed-point scale no longer fits version {campaign.current_version}; download "
            "the current model and compute it again."
        ) from exc
    return ledger.blob_put(wire.encrypted_to_bytes(candidate), kind="model")


def _log_malformed(campaign: Campaign, submission: GradientSubmission, exc: Exception) -> None:
    logger.warning(
        "campaign %s gradient %s: rejected as malformed (%s: %s)",
        campaign.id,
        submission.id,
        type(exc).__name__,
        exc,
    )


def gradient_decide(
    *, campaign_id: int, gradient_id: int, result: dict
) -> GradientSubmission | None:
    """React to the capsule's score: accept (version N+1, payout) or reject, then advance."""
    completed = False
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        submission = campaign.gradients.filter(
            pk=gradient_id,
            status=GradientSubmission.Status.EVALUATING,
            candidate_blob=result.get("candidate_blob", ""),
        ).first()
        if submission is None:
            return None  # decided already: a duplicate message, or settlement rejected it
        if settings.SONAR_EVALUATION_PAUSE_S:
            time.sleep(settings.SONAR_EVALUATION_PAUSE_S)  # fault injection, tests only
        if campaign.status != Campaign.Status.OPEN:
            gradient_reject(
                campaign, submission, reason=_refusal_before_scoring(campaign, submission)
            )
        elif not result.get("ok"):
            logger.warning(
                "campaign %s gradient %s: rejected as malformed by the capsule (%s)",
                campaign.id,
                submission.id,
                result.get("error"),
            )
            gradient_reject(campaign, submission, reason=MALFORMED)
        else:
            _decide(
                campaign,
                submission,
                score_ppm=round(float(result["score"]) * PPM),
                publish_blob=result.get("publish_blob"),
            )
            completed = campaign.status == Campaign.Status.COMPLETED
    if completed:
        settlement_enqueue(campaign_id)
    else:
        evaluation_enqueue(campaign_id)
    return submission


def _decide(
    campaign: Campaign, submission: GradientSubmission, *, score_ppm: int, publish_blob: str | None
) -> None:
    best = campaign.best_accuracy_ppm or 0
    submission.score_ppm = score_ppm
    submission.delta_ppm = score_ppm - best
    submission.evaluated_at = timezone.now()
    if score_ppm <= best or not publish_blob:
        # The score stays with the campaign's owner: the submitter and the public ledger learn
        # only that it did not beat the best, so the validation set is no oracle to probe.
        gradient_reject(
            campaign,
            submission,
            reason=f"It did not raise the accuracy above the best so far, {format_ppm(best)}.",
        )
        return
    basis = rules.payout_basis_ppm(
        basis=campaign.payout_basis,
        target_ppm=campaign.target_accuracy_ppm,
        start_ppm=campaign.start_accuracy_ppm or 0,
    )
    earning = rules.payout_for(
        bounty_minor=campaign.bounty_minor,
        basis_ppm=basis,
        delta_ppm=score_ppm - best,
        remaining_minor=campaign.remaining_minor,
    )
    number = campaign.current_version + 1
    submission.status = GradientSubmission.Status.ACCEPTED
    submission.payout_minor = earning.amount_minor
    submission.reason = (
        f"Accuracy rose from {format_ppm(best)} to {format_ppm(score_ppm)}; earned "
        f"{format_minor(earning.amount_minor)}"
        + (
            f" (capped from {format_minor(earning.uncapped_minor)}: the bounty is spent)"
            if earning.capped
            else ""
        )
        + "."
    )
    submission.save()
    ModelVersion.objects.create(
        campaign=campaign,
        number=number,
        blob_address=publish_blob,
        accuracy_ppm=score_ppm,
        gradient=submission,
    )
    campaign.current_version = number
    campaign.best_accuracy_ppm = score_ppm
    campaign.spent_minor += earning.amount_minor
    record(
        "gradient.accepted",
        campaign,
        gradient=submission.id,
        version=number,
        accuracy_ppm=score_ppm,
        delta_ppm=submission.delta_ppm,
    )
    record("model.published", campaign, version=number, blob=publish_blob, accuracy_ppm=score_ppm)
    if earning.amount_minor > 0:
        Payout.objects.create(
            campaign=campaign,
            gradient=submission,
            payout_account=submission.payout_account,
            amount_minor=earning.amount_minor,
        )
        record(
            "payout.accrued",
            campaign,
            gradient=submission.id,
            payout_account=submission.payout_account,
            amount_minor=earning.amount_minor,
        )
    if score_ppm >= campaign.target_accuracy_ppm:
        campaign_mark_completed(campaign, reason="target accuracy reached")
    elif campaign.remaining_minor == 0:
        campaign_mark_completed(campaign, reason="bounty spent")
    campaign.save()
