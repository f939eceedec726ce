"""Campaign drafts and their end: create, check, hand validation data over, close, expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.selectors import user_is_data_scientist
from adapters.schema import Schema, SchemaError, output_task
from capsule import services as capsule
from sonar_ui.errors import CampaignError, CampaignForbiddenError, CampaignStateError
from sonar_ui.models import PPM, Algorithm, Campaign, ModelVersion
from sonar_ui.services.settlement import settlement_enqueue
from syft.models import LinearModel, model_for

# Which output task each algorithm trains.
ALGORITHM_TASK = {
    Algorithm.LINEAR_REGRESSION: "regression",
    Algorithm.LOGISTIC_REGRESSION: "binary",
    Algorithm.LOGISTIC_REGRESSION_OVR: "multiclass",
    Algorithm.LOGISTIC_REGRESSION_OVO: "multiclass",
}


def fraction_to_ppm(value: float, *, field: str) -> int:
    """0.8 -> 800000, refusing values outside [0, 1]."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise CampaignError(f"{field} must be a number between 0 and 1, not {value!r}.")
    return round(value * PPM)


def campaign_model(campaign: Campaign) -> LinearModel:
    """The syft model object that matches the campaign's algorithm and schema."""
    return model_for(
        campaign.algorithm,
        n_features=campaign.n_features,
        n_classes=campaign.n_classes,
        fit_intercept=campaign.fit_intercept,
    )


def campaign_model_spec(campaign: Campaign) -> capsule.ModelSpec:
    """What the capsule needs to know to score the campaign's models."""
    return capsule.ModelSpec(
        algorithm=campaign.algorithm,
        n_features=campaign.n_features,
        n_classes=campaign.n_classes,
        fit_intercept=campaign.fit_intercept,
    )


def _schemas(input_schema: Any, output_schema: Any, algorithm: str) -> tuple[Schema, int | None]:
    try:
        inputs = Schema.from_json(input_schema)
    except SchemaError as exc:
        raise CampaignError(f"input_schema: {exc}", code="invalid_schema") from exc
    try:
        output = Schema.from_json(output_schema)
        task, n_classes = output_task(output)
    except SchemaError as exc:
        raise CampaignError(f"output_schema: {exc}", code="invalid_schema") from exc
    expected = ALGORITHM_TASK.get(algorithm)
    if expected is None:
        known = ", ".join(a.value for a in Algorithm)
        raise CampaignError(f"Unknown algorithm {algorithm!r}; use one of {known}.")
    if task != expected:
        raise CampaignError(
            f"Algorithm {algorithm} trains {expected} models, but the output schema describes "
            f"a {task} target.",
            code="invalid_schema",
        )
    return inputs, (n_classes if task == "multiclass" else None)


@transaction.atomic
def campaign_create(
    *,
    owner: User,
    name: str,
    description: str = "",
    input_schema: list[dict],
    output_schema: list[dict],
    algorithm: str,
    bounty_minor: int,
    target_accuracy: float = 1.0,
    learning_rate: float = 0.5,
    fit_intercept: bool = True,
    min_other_accepted: int = 0,
    claimed_start_accuracy: float | None = None,
    deadline: datetime | None = None,
    initial_weights: list | None = None,
    payout_basis: str = Campaign.PayoutBasis.TARGET,
) -> Campaign:
    """Create a draft campaign after checking its schemas, algorithm and numbers."""
    if not user_is_data_scientist(user=owner):
        raise CampaignForbiddenError(
            "Only data scientists can create campaigns; add the role on your profile."
        )
    if not name.strip():
        raise CampaignError("name: a campaign needs a name.")
    inputs, n_classes = _schemas(input_schema, output_schema, algorithm)
    if not isinstance(bounty_minor, int) or isinstance(bounty_minor, bool) or bounty_minor <= 0:
        raise CampaignError(
            f"bounty_minor must be a positive whole number of minor units, not {bounty_minor!r}."
        )
    target_ppm = fraction_to_ppm(target_accuracy, field="target_accuracy")
    if target_ppm == 0:
        raise CampaignError("target_accuracy must be above 0.")
    if not learning_rate > 0:
        raise CampaignError(f"learning_rate must be above 0, not {learning_rate!r}.")
    if payout_basis not in Campaign.PayoutBasis.values:
        raise CampaignError(
            f"payout_basis must be one of {', '.join(Campaign.PayoutBasis.values)}, not "
            f"{payout_basis!r}."
        )
    if deadline is not None and deadline <= timezone.now():
        raise CampaignError("deadline must be in the future.")
    campaign = Campaign(
        owner=owner,
        name=name.strip(),
        description=description,
        input_schema=inputs.to_json(),
        output_schema=Schema.from_json(output_schema).to_json(),
        algorithm=algorithm,
        n_features=inputs.width,
        n_classes=n_classes,
        learning_rate=learning_rate,
        fit_intercept=fit_intercept,
        min_other_accepted=min_other_accepted,
        bounty_minor=bounty_minor,
        target_accuracy_ppm=target_ppm,
        claimed_start_accuracy_ppm=None
        if claimed_start_accuracy is None
        else fraction_to_ppm(claimed_start_accuracy, field="claimed_start_accuracy"),
        deadline=deadline,
        payout_basis=payout_basis,
    )
    if initial_weights is not None:
        campaign.initial_weights = _checked_initial_weights(campaign, initial_weights)
    campaign.save()
    return campaign


def _checked_initial_weights(campaign: Campaign, weights: Any) -> list:
    shape = campaign_model(campaign).weight_shape
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CampaignError("initial_weights must be a list of numbers.") from exc
    if array.shape != tuple(shape):
        raise CampaignError(
            f"initial_weights has shape {list(array.shape)}; campaign '{campaign.name}' needs "
            f"{list(shape)} ({campaign.n_features} features"
            f"{' + bias' if campaign.fit_intercept else ''}).",
            code="shape_mismatch",
        )
    if not np.all(np.isfinite(array)):
        raise CampaignError("initial_weights must be finite numbers (no NaN or infinity).")
    return array.tolist()


def owned_draft(campaign: Campaign, user: User) -> None:
    if campaign.owner_id != user.id:
        raise CampaignForbiddenError("Only the campaign's owner can do this.")
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignStateError(
            f"Campaign '{campaign.name}' is {campaign.status}; this is only possible for a draft."
        )


def validation_data_check_size(*, size: int) -> None:
    """One cap for the validation file, whether it came through the API or the page."""
    limit = settings.VALIDATION_DATA_MAX_BYTES
    if size > limit:
        raise CampaignError(
            f"The validation file is {size:,} bytes; at most {limit:,} are accepted. "
            "Upload a sample of your validation set that fits.",
            code="payload_too_large",
            status_code=413,
        )


def campaign_validation_data_upload(
    *, campaign: Campaign, user: User, data: bytes, adapter: str = "csv"
) -> capsule.ValidationSummary:
    """Hand the validation set to the capsule (the owner, while the campaign is a draft)."""
    owned_draft(campaign, user)
    validation_data_check_size(size=len(data))
    try:
        return capsule.validation_data_store(
            campaign_id=campaign.id,
            input_schema=campaign.input_schema,
            output_schema=campaign.output_schema,
            data=data,
            adapter=adapter,
        )
    except capsule.ValidationDataError as exc:
        raise CampaignError(str(exc), code="invalid_validation_data") from exc


def campaign_mark_completed(campaign: Campaign, *, reason: str) -> None:
    """Stop taking gradients now; delivery and settlement follow in campaign_settle."""
    campaign.status = Campaign.Status.COMPLETED
    campaign.completion_reason = reason
    campaign.completed_at = timezone.now()


def campaign_close(*, campaign_id: int, user: User) -> Campaign:
    """The owner ends the campaign: a draft is cancelled, an open campaign completes."""

    def owner_only(campaign: Campaign) -> None:
        if campaign.owner_id != user.id:
            raise CampaignForbiddenError("Only the campaign's owner can close it.")

    return _campaign_end(campaign_id, check=owner_only, by="the owner")


def campaign_close_by_operator(*, campaign_id: int, operator: User) -> Campaign:
    """An operator ends anyone's campaign; the reason names them, and settlement records it."""

    def staff_only(campaign: Campaign) -> None:
        if not (operator.is_active and operator.is_staff):
            raise CampaignForbiddenError(
                "Only an operator (a staff account) can close another person's campaign."
            )

    return _campaign_end(campaign_id, check=staff_only, by=f"operator {operator.username}")


def _campaign_end(campaign_id: int, *, check, by: str) -> Campaign:
    """A draft is cancelled; an open campaign completes and is settled after the commit."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
        check(campaign)
        if campaign.status == Campaign.Status.DRAFT:
            campaign.status = Campaign.Status.CANCELLED
            campaign.completion_reason = f"cancelled by {by} before launch"
            campaign.completed_at = timezone.now()
            campaign.save()
            return campaign
        if campaign.status != Campaign.Status.OPEN:
            raise CampaignStateError(f"Campaign '{campaign.name}' is already {campaign.status}.")
        campaign_mark_completed(campaign, reason=f"closed by {by}")
        campaign.save()
        transaction.on_commit(lambda: settlement_enqueue(campaign.id))
    return campaign


def campaigns_expire(*, now: datetime | None = None) -> list[int]:
    """Complete every open campaign whose deadline has passed; return their ids."""
    now = now or timezone.now()
    expired = []
    for campaign_id in Campaign.objects.filter(
        status=Campaign.Status.OPEN, deadline__lte=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
            if campaign.status != Campaign.Status.OPEN:
                continue
            campaign_mark_completed(campaign, reason="deadline passed")
            campaign.save()
            transaction.on_commit(lambda cid=campaign.id: settlement_enqueue(cid))
        expired.append(campaign_id)
    return expired


def campaign_current_version(campaign: Campaign) -> ModelVersion:
    return campaign.versions.get(number=campaign.current_version)
