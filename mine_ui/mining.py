"""The mining process: poll Sonar, train on local rows under Paillier, submit, track earnings.

Sonar never calls a mine; the mine polls. The rows are read here and never leave: only an
obfuscated encrypted gradient goes out, through pysonar. A contribution is recorded BEFORE its
gradient is sent, and the gradient is kept in an outbox file until Sonar has it, so a mine that
dies or loses Sonar mid-way sends the very same gradient, under the same idempotency key, later.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import token_issue
from adapters import AdapterError, SchemaError
from mine_ui.earnings import contributions_settle_refresh
from mine_ui.models import Contribution, Dataset, Mine
from mine_ui.policy import campaign_label
from mine_ui.privacy import contribution_count_set, release_obtain
from mine_ui.selectors import dataset_table
from mine_ui.services import (
    BudgetExhaustedError,
    contribution_mark,
    contribution_skip,
    contribution_start,
    mine_campaign_consider,
)
from pysonar import CampaignModel, SonarClient, SonarError, SonarUnavailable
from syft.encrypted import EncryptedArray
from syft.errors import SyftError
from syft.keys import public_key_from_dict, public_key_to_dict
from syft.models import GRADIENT_PRECISION_BITS, LinearModel, model_for
from syft.obfuscation import pool_for, pools_fill
from syft.packing import PackedArray, pack, packing_layout
from syft.wire import encrypted_from_json, encrypted_to_json
from syft.wire_packed import PACKED_JSON_FORMAT, packed_from_json, packed_to_json

Gradient = EncryptedArray | PackedArray

logger = logging.getLogger(__name__)

# A gradient for these versions is already on its way or judged: computing another is waste.
_IN_FLIGHT = (Contribution.PENDING, Contribution.SUBMITTED)
_JUDGED = (Contribution.ACCEPTED, Contribution.REJECTED)
# A pending row without its outbox file this old was left by a process that died computing.
ORPHAN_AFTER = timedelta(minutes=15)
# Between polls a mine precomputes re-randomizers (r**n mod n²) for at most this long.
POOL_FILL_S = 10.0


def _is_auth_failure(exc: SonarError) -> bool:
    return exc.status == 401


def mining_client(*, mine: Mine, **options: Any) -> SonarClient:
    """A pysonar client for the Sonar the mine polls, authenticated with the mine's token."""
    token = mine.api_token
    if not token and not mine.sonar_url:
        # A mine hosted on this platform polls it as its owner.
        # Short-lived: each pass makes its own, and expired ones are pruned on the next.
        token = token_issue(
            user=mine.owner, name=f"hosted mine '{mine.name}'"[:100], ttl=timedelta(hours=1)
        ).key
    if not token:
        raise SonarError(
            401,
            "no_token",
            f"Mine '{mine.name}' has no API token for {mine.sonar_url}; get one there "
            "(POST /api/auth/token/) and save it on the mine.",
        )
    options.setdefault("allow_insecure_keys", settings.PAILLIER_ALLOW_INSECURE_KEYS)
    return SonarClient(mine.sonar_url or settings.SITE_URL, token=token, **options)


# --- the outbox: gradients computed but not yet acknowledged by Sonar --------------------------


def _outbox_path(contribution: Contribution) -> Path:
    return Path(settings.VAR_DIR) / "mine-outbox" / f"{contribution.idempotency_key}.json"


def _gradient_to_json(gradient: Gradient) -> dict[str, Any]:
    if isinstance(gradient, PackedArray):
        return packed_to_json(gradient)
    return encrypted_to_json(gradient)


def _outbox_write(contribution: Contribution, model: CampaignModel, gradient: Gradient) -> None:
    """Keep the ciphertexts on disk (fsync + rename) until Sonar has acknowledged them."""
    path = _outbox_path(contribution)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "public_key": public_key_to_dict(model.public_key),
        "gradient": _gradient_to_json(gradient),
    }
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def _outbox_read(contribution: Contribution) -> Gradient | None:
    """The stored gradient of a pending contribution, parsed and checked, or None."""
    path = _outbox_path(contribution)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        public_key = public_key_from_dict(
            payload["public_key"], allow_insecure_for_tests=settings.PAILLIER_ALLOW_INSECURE_KEYS
        )
        if payload["gradient"].get("format") == PACKED_JSON_FORMAT:
            return packed_from_json(payload["gradient"], public_key=public_key)
        return encrypted_from_json(payload["gradient"], public_key=public_key)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, SyftError) as exc:
        logger.warning("Outbox file %s is unreadable (%s); treating it as missing.", path, exc)
        return None


def _outbox_remove(contribution: Contribution) -> None:
    _outbox_path(contribution).unlink(missing_ok=True)


# --- one campaign ------------------------------------------------------------------------------


def _model_for_campaign(model: CampaignModel, dataset: Dataset) -> LinearModel | str:
    """The syft model the campaign trains, or a sentence saying why this dataset can't train it."""
    width = dataset.schema.width
    if model.n_features != width:
        return (
            f"Sonar's model has {model.n_features} features but dataset '{dataset.name}' makes "
            f"{width} columns from the same schema; the model was skipped."
        )
    try:
        trainer = model_for(
            model.algorithm,
            n_features=model.n_features,
            n_classes=model.n_classes,
            fit_intercept=model.fit_intercept,
        )
    except SyftError as exc:
        return f"This mine cannot train the campaign's model: {exc}"
    if trainer.weight_shape != model.shape:
        return (
            f"Sonar's model has weights of shape {model.shape}; a {model.algorithm} on "
            f"{width} features has {trainer.weight_shape}. The model was skipped."
        )
    return trainer


def _packed_wanted() -> bool:
    """Wire format v2 once Sonar reads it (settings.MINE_PACKED_GRADIENTS); v1 until then."""
    return bool(getattr(settings, "MINE_PACKED_GRADIENTS", False))


def _gradient_compute(
    *,
    mine: Mine,
    contribution: Contribution,
    model: CampaignModel,
    trainer: LinearModel,
    feature_scaling: Any = None,
) -> Gradient:
    """Enc(G·w - b) from the dataset's released (noisy) statistics, re-randomized from the pool.

    Differential privacy is on unless the owner opted out (mine_ui.privacy): the statistics
    come from the one release for this data content and spec, made and charged on first use.
    """
    assert contribution.dataset is not None
    table = dataset_table(dataset=contribution.dataset)
    release = release_obtain(
        mine=mine,
        dataset=contribution.dataset,
        trainer=trainer,
        X=table.features(),
        y=table.target(),
        feature_scaling=feature_scaling,
    )
    if release.epsilon_spent:
        contribution_mark(
            contribution=contribution,
            status=Contribution.PENDING,
            epsilon_spent=contribution.epsilon_spent + release.epsilon_spent,
            delta_spent=contribution.delta_spent + release.delta_spent,
        )
    if release.private:
        # Sonar learns the noisy count read from the release, never the exact one.
        contribution_count_set(contribution=contribution, n_samples=release.statistics.n_samples)
    gradient = trainer.encrypted_gradient(
        model.weights, release.statistics, precision_bits=GRADIENT_PRECISION_BITS
    )
    # Fresh randomness on every ciphertext (from the pool filled between polls): otherwise it
    # is a function of the public weights and the mine's statistics.
    pool = pool_for(model.public_key, size=2 * _ciphertexts_needed(gradient))
    if _packed_wanted():
        return pack(gradient, pool=pool)
    return gradient.obfuscate(randomizers=pool.take(gradient.size))


def _ciphertexts_needed(gradient: EncryptedArray) -> int:
    """How many r**n one upload of this gradient consumes."""
    if not _packed_wanted():
        return gradient.size
    layout = packing_layout(n=int(gradient.public_key.n), value_bits=gradient.magnitude_bits)
    return layout.ciphertexts_for(gradient.size)


def _already_contributed(mine: Mine, campaign_id: int, version: int) -> bool:
    """True when this version of the campaign already has a gradient from this mine."""
    return Contribution.objects.filter(
        mine=mine,
        campaign_id=campaign_id,
        model_version=version,
        status__in=(*_IN_FLIGHT, *_JUDGED),
    ).exists()


def _campaign_mine(*, mine: Mine, client: SonarClient, campaign: Mapping) -> Contribution | None:
    """Decide, compute and submit for one open campaign; return the contribution it touched."""
    label = campaign_label(campaign)
    decision = mine_campaign_consider(mine=mine, campaign=campaign)
    if not decision.participate:
        logger.info("Mine '%s' skips %s: %s", mine.name, label, decision.reason)
        return None
    assert decision.dataset is not None
    version = campaign.get("current_version")
    if isinstance(version, int) and _already_contributed(mine, campaign["id"], version):
        return None

    try:
        model = client.model(campaign["id"])
    except SonarError as exc:
        if isinstance(exc, SonarUnavailable) or _is_auth_failure(exc):
            raise
        # A malformed model, or the campaign closed between the listing and the download.
        reason = f"Could not use the model of {label}: {exc.detail}"
        logger.warning("Mine '%s': %s", mine.name, reason)
        return contribution_skip(mine=mine, campaign=campaign, reason=reason)
    at_version = {**campaign, "current_version": model.version}
    if _already_contributed(mine, model.campaign_id, model.version):
        return None
    trainer = _model_for_campaign(model, decision.dataset)
    if isinstance(trainer, str):
        logger.warning("Mine '%s': %s", mine.name, trainer)
        return contribution_skip(mine=mine, campaign=at_version, reason=trainer)

    contribution = contribution_start(
        mine=mine,
        dataset=decision.dataset,
        campaign=at_version,
        n_samples=decision.dataset.row_count,
    )
    try:
        gradient = _gradient_compute(
            mine=mine,
            contribution=contribution,
            model=model,
            trainer=trainer,
            feature_scaling=campaign.get("feature_scaling"),
        )
    except (BudgetExhaustedError, SyftError, SchemaError, AdapterError, ValidationError) as exc:
        reason = f"The gradient could not be computed: {_sentence(exc)}"
        logger.warning("Mine '%s', %s: %s", mine.name, label, reason)
        return contribution_mark(
            contribution=contribution, status=Contribution.FAILED, reason=reason
        )
    _outbox_write(contribution, model, gradient)
    return _contribution_send(client=client, contribution=contribution, gradient=gradient)


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- submitting and tracking -------------------------------------------------------------------


def _contribution_send(
    *, client: SonarClient, contribution: Contribution, gradient: Gradient
) -> Contribution:
    """Submit a pending contribution's gradient; on an outage it stays pending for next time."""
    try:
        answer = client.gradient_submit(
            contribution.campaign_id,
            base_version=contribution.model_version or 0,
            n_samples=contribution.n_samples,
            payout_account=contribution.mine.payout_account,
            gradient=gradient,
            idempotency_key=contribution.idempotency_key,
        )
    except SonarError as exc:
        if isinstance(exc, SonarUnavailable) or _is_auth_failure(exc):
            logger.warning(
                "Gradient for campaign %s stays pending (key %s): %s",
                contribution.campaign_id,
                contribution.idempotency_key,
                exc.detail,
            )
            raise
        _outbox_remove(contribution)
        reason = f"Sonar refused the gradient: {exc.detail}"
        logger.warning("Campaign %s: %s", contribution.campaign_id, reason)
        return contribution_mark(
            contribution=contribution, status=Contribution.FAILED, reason=reason
        )
    _outbox_remove(contribution)
    contribution = _contribution_apply(contribution, answer)
    logger.info(
        "Mine '%s' submitted gradient %s to campaign %s at version %s (%d rows): %s",
        contribution.mine.name,
        contribution.submission_id,
        contribution.campaign_id,
        contribution.model_version,
        contribution.n_samples,
        contribution.status,
    )
    return contribution


def _contribution_apply(contribution: Contribution, gradient: Mapping) -> Contribution:
    """Copy Sonar's verdict on a submission into the contribution row."""
    submission_id = gradient.get("id")
    status = gradient.get("status")
    if status == "accepted":
        payout = gradient.get("payout_minor")
        return contribution_mark(
            contribution=contribution,
            status=Contribution.ACCEPTED,
            reason=str(gradient.get("reason") or ""),
            submission_id=submission_id,
            earnings_minor=payout if isinstance(payout, int) and payout > 0 else 0,
        )
    if status == "rejected":
        return contribution_mark(
            contribution=contribution,
            status=Contribution.REJECTED,
            reason=str(gradient.get("reason") or ""),
            submission_id=submission_id,
        )
    # pending or evaluating: Sonar has it; the verdict comes later.
    return contribution_mark(
        contribution=contribution,
        status=Contribution.SUBMITTED,
        reason="Waiting for Sonar's evaluation.",
        submission_id=submission_id,
    )


def contributions_resend(*, mine: Mine, client: SonarClient) -> list[Contribution]:
    """Send again every pending contribution, with its stored gradient and its original key."""
    touched: list[Contribution] = []
    for contribution in Contribution.objects.filter(
        mine=mine, status=Contribution.PENDING
    ).order_by("created_at", "id"):
        gradient = _outbox_read(contribution)
        if gradient is None:
            if contribution.updated_at > timezone.now() - ORPHAN_AFTER:
                continue  # another pass may still be computing it
            # The process died before the gradient reached the outbox: nothing left the mine,
            # so closing this row and computing afresh on the current model loses nothing.
            touched.append(
                contribution_mark(
                    contribution=contribution,
                    status=Contribution.FAILED,
                    reason="The mine stopped before this gradient was ready; it was not sent.",
                )
            )
            continue
        logger.info(
            "Resending the pending gradient for campaign %s (key %s)",
            contribution.campaign_id,
            contribution.idempotency_key,
        )
        touched.append(
            _contribution_send(client=client, contribution=contribution, gradient=gradient)
        )
    return touched


def contributions_refresh(*, mine: Mine, client: SonarClient) -> list[Contribution]:
    """Ask Sonar what became of submitted gradients; return those whose verdict arrived."""
    changed: list[Contribution] = []
    for contribution in Contribution.objects.filter(
        mine=mine, status=Contribution.SUBMITTED, submission_id__isnull=False
    ):
        try:
            gradient = client.gradient(contribution.submission_id)
        except SonarError as exc:
            if isinstance(exc, SonarUnavailable) or _is_auth_failure(exc):
                raise
            if exc.status == 404:
                changed.append(
                    contribution_mark(
                        contribution=contribution,
                        status=Contribution.FAILED,
                        reason=f"Sonar no longer knows submission {contribution.submission_id}.",
                        submission_id=contribution.submission_id,
                    )
                )
            else:
                logger.warning(
                    "Could not refresh submission %s: %s", contribution.submission_id, exc
                )
            continue
        if gradient.get("status") in _JUDGED:
            changed.append(_contribution_apply(contribution, gradient))
            logger.info(
                "Submission %s to campaign %s was %s%s",
                contribution.submission_id,
                contribution.campaign_id,
                contribution.status,
                f", earning {contribution.earnings_minor} (minor units)"
                if contribution.earnings_minor
                else f": {contribution.reason}",
            )
    return changed


def mine_train_once(*, mine: Mine, client: SonarClient) -> list[Contribution]:
    """One pass: resend pending gradients, mine every open campaign, refresh verdicts.

    Raises SonarUnavailable (Sonar down, nothing lost) or SonarError with status 401 (the token
    was refused) for the caller to back off; any other problem is recorded on a contribution.
    """
    try:
        return _mine_pass(mine=mine, client=client)
    finally:
        # Between polls, even after an outage: precompute the re-randomizers the next
        # versions' uploads will need, so an upload waits only for its gradient.
        pools_fill(deadline_s=POOL_FILL_S)


def _mine_pass(*, mine: Mine, client: SonarClient) -> list[Contribution]:
    touched = contributions_resend(mine=mine, client=client)
    for campaign in client.campaigns_open():
        try:
            contribution = _campaign_mine(mine=mine, client=client, campaign=campaign)
        except SonarError as exc:
            if isinstance(exc, SonarUnavailable) or _is_auth_failure(exc):
                raise
            logger.warning("Mine '%s', %s: %s", mine.name, campaign_label(campaign), exc)
            continue
        if contribution is not None:
            touched.append(contribution)
    touched.extend(contributions_refresh(mine=mine, client=client))
    contributions_settle_refresh(mine=mine, client=client)  # earnings paid, not only promised
    return touched
