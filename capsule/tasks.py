"""Celery tasks on the `capsule` queue: thin wrappers of capsule.services, safe to run again."""

from __future__ import annotations

from celery import shared_task

from capsule import services

# No automatic retries: every capsule refusal is deterministic (a missing key stays missing),
# and each service is idempotent, so a task redelivered after a worker crash is harmless.


@shared_task
def keypair_create(*, campaign_id: int, spec: dict) -> dict:
    """Make (or return) the campaign's key pair; returns the public key dict."""
    return services.keypair_create(campaign_id=campaign_id, spec=services.ModelSpec(**spec))


@shared_task
def model_encrypt_initial(*, campaign_id: int, weights: list) -> str:
    """Encrypt starting weights; returns the blob address."""
    return services.model_encrypt_initial(campaign_id=campaign_id, weights=weights)


@shared_task
def model_score(*, campaign_id: int, encrypted_weights_blob: str) -> float:
    """Score an encrypted model on the campaign's validation data."""
    return services.model_score(
        campaign_id=campaign_id, encrypted_weights_blob=encrypted_weights_blob
    )


@shared_task
def model_refresh(*, campaign_id: int, encrypted_weights_blob: str) -> str:
    """Re-encrypt a model at full headroom; returns the new blob address."""
    return services.model_refresh(
        campaign_id=campaign_id, encrypted_weights_blob=encrypted_weights_blob
    )


@shared_task
def model_deliver(
    *, campaign_id: int, encrypted_weights_blob: str, owner_id: int, metadata: dict
) -> dict:
    """Deliver the final model; returns its description (the bytes stay in the capsule)."""
    delivery = services.model_deliver(
        campaign_id=campaign_id,
        encrypted_weights_blob=encrypted_weights_blob,
        owner_id=owner_id,
        metadata=metadata,
    )
    return {
        "filename": delivery.filename,
        "content_type": delivery.content_type,
        "pgp_fingerprint": delivery.pgp_fingerprint,
        "sha256": delivery.sha256,
        "size": len(delivery.data),
    }


@shared_task
def keypair_retire(*, campaign_id: int) -> None:
    """Destroy the campaign's private key after delivery."""
    services.keypair_retire(campaign_id=campaign_id)
