"""Celery tasks on the `capsule` queue: the only processes that hold the capsule's secrets.

Sonar chains these with its own tasks (a capsule step, then Sonar's reaction to its result),
so the capsule never imports Sonar and Sonar never waits on a result inside a task. Each task
is safe to run again: a redelivered message after a worker crash is harmless. Refusals that
are a campaign's or a gradient's fault come back in the result; only infrastructure failures
raise, and Sonar's beat sweep resumes the step.
"""

from __future__ import annotations

import logging

from celery import shared_task

from capsule import services

logger = logging.getLogger(__name__)


@shared_task
def identity_publish() -> str:
    """Make (once) and publish the capsule's GPG public key; returns its fingerprint."""
    return services.capsule_identity_publish()


@shared_task
def campaign_keys_prepare(*, campaign_id: int, spec: dict, initial_weights: list) -> dict:
    """Launch: the key pair, v0 encrypted and scored -> {ok, blob, score} or {ok, error}."""
    result = services.campaign_keys_prepare(
        campaign_id=campaign_id, spec=services.ModelSpec(**spec), initial_weights=initial_weights
    )
    logger.info("campaign %s: keys prepared (ok=%s)", campaign_id, result["ok"])
    return result


@shared_task
def candidate_score(
    *, campaign_id: int, gradient_id: int, candidate_blob: str, publish_above_ppm: int
) -> dict:
    """Score one gradient's candidate model -> {ok, score, publish_blob} or {ok, malformed}."""
    result = services.candidate_score(
        campaign_id=campaign_id, candidate_blob=candidate_blob, publish_above_ppm=publish_above_ppm
    )
    logger.info("campaign %s gradient %s: scored (ok=%s)", campaign_id, gradient_id, result["ok"])
    return {**result, "gradient": gradient_id, "candidate_blob": candidate_blob}


@shared_task
def model_deliver(
    *, campaign_id: int, encrypted_weights_blob: str, owner_id: int, metadata: dict
) -> dict:
    """Deliver the final model -> its description (the bytes stay stored), or {ok, error}."""
    try:
        delivery = services.model_deliver(
            campaign_id=campaign_id,
            encrypted_weights_blob=encrypted_weights_blob,
            owner_id=owner_id,
            metadata=metadata,
        )
    except services.CapsuleError as exc:
        logger.warning("campaign %s: delivery refused: %s", campaign_id, exc)
        return {"ok": False, "error": str(exc)}
    return {
        "ok": True,
        "filename": delivery.filename,
        "content_type": delivery.content_type,
        "pgp_fingerprint": delivery.pgp_fingerprint,
        "sha256": delivery.sha256,
        "size": len(delivery.data),
    }


@shared_task
def keypair_retire(*, campaign_id: int) -> None:
    """Destroy the campaign's private key and validation data after delivery."""
    services.keypair_retire(campaign_id=campaign_id)
