"""Differential privacy of a mine's rows: released once per content and spec, charged once.

On by default. A mine's owner opts out explicitly by setting epsilon per release (the
budget's `epsilon_per_contribution`) to 0; every exact gradient is then logged as such.

A release is the noisy sufficient statistics of one data content (the sha256 of the rows as
the model sees them) for one model spec, scaling and budget (`syft.privacy.release_key`). It
is computed once, stored, and every later version of every campaign with the same key, on
any of the owner's mines, reuses it at no cost: gradients are post-processing. The epsilon
of all releases of one content adds up across the owner's mines and may not pass the
budget's total, so a second mine over the same rows has nothing fresh to spend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum

from mine_ui.models import Contribution, Dataset, Mine, PrivacyBudget, PrivateRelease
from mine_ui.services import BudgetExhaustedError, budget_spend
from syft.models import LinearModel, SufficientStatistics
from syft.privacy import (
    content_sha256,
    dp_clip_norm,
    private_sufficient_statistics,
    release_key,
    statistics_from_json,
    statistics_to_json,
)
from syft.scaling import FeatureScaling

logger = logging.getLogger(__name__)

# Until campaigns publish per-feature bounds, a mine assumes standardized columns and keeps
# values within three standard deviations (the clients issue adds the published contract).
DEFAULT_HALF_WIDTH = 3.0


@dataclass(frozen=True)
class Release:
    """The statistics a gradient may be computed from, and what obtaining them cost now."""

    statistics: SufficientStatistics
    epsilon_spent: Decimal
    delta_spent: Decimal
    private: bool  # False only when the owner opted out of differential privacy
    reused: bool = False


def campaign_scaling(feature_scaling: Any, *, n_features: int) -> FeatureScaling:
    """The campaign's published scaling, or standardized columns clipped at ±3 when absent."""
    if feature_scaling:
        scaling = FeatureScaling.from_json(feature_scaling)
        if scaling.n_features == n_features:
            return scaling
        logger.warning(
            "The campaign's scaling describes %d columns, the model %d; using the default.",
            scaling.n_features,
            n_features,
        )
    return FeatureScaling(
        center=np.zeros(n_features),
        half_width=np.full(n_features, DEFAULT_HALF_WIDTH),
        target_half_width=DEFAULT_HALF_WIDTH,
    )


def _budget(mine: Mine) -> PrivacyBudget:
    budget, _ = PrivacyBudget.objects.get_or_create(mine=mine)
    return budget


def release_obtain(
    *,
    mine: Mine,
    dataset: Dataset,
    trainer: LinearModel,
    X: np.ndarray,
    y: np.ndarray,
    feature_scaling: Any = None,
) -> Release:
    """The statistics this mine may compute gradients from for `trainer` on these rows.

    Raises BudgetExhaustedError when a new release would take the content past its budget.
    """
    budget = _budget(mine)
    epsilon, delta = budget.epsilon_per_contribution, budget.delta_per_contribution
    if epsilon <= 0:
        logger.warning(
            "Mine '%s' sends an EXACT gradient of dataset '%s': its owner turned differential "
            "privacy off (epsilon per release is 0).",
            mine.name,
            dataset.name,
        )
        return Release(
            statistics=trainer.sufficient_statistics(X, y),
            epsilon_spent=Decimal(0),
            delta_spent=Decimal(0),
            private=False,
        )
    scaling = campaign_scaling(feature_scaling, n_features=trainer.n_features)
    content = content_sha256(X, y)
    key = release_key(
        content=content,
        model=trainer,
        scaling=scaling,
        clip_norm=dp_clip_norm(trainer),
        epsilon=float(epsilon),
        delta=float(delta),
    )
    with transaction.atomic():
        # One owner's releases are decided one at a time, so two mines cannot both spend.
        get_user_model().objects.select_for_update().filter(pk=mine.owner_id).first()
        existing = PrivateRelease.objects.filter(owner_id=mine.owner_id, release_key=key).first()
        if existing is not None:
            return Release(
                statistics=statistics_from_json(existing.statistics),
                epsilon_spent=Decimal(0),
                delta_spent=Decimal(0),
                private=True,
                reused=True,
            )
        spent = PrivateRelease.objects.filter(
            owner_id=mine.owner_id, content_sha256=content
        ).aggregate(epsilon=Sum("epsilon"), delta=Sum("delta"))
        epsilon_on_content = (spent["epsilon"] or Decimal(0)) + epsilon
        delta_on_content = (spent["delta"] or Decimal(0)) + delta
        if epsilon_on_content > budget.epsilon_total or delta_on_content > budget.delta_total:
            raise BudgetExhaustedError(
                f"The rows of dataset '{dataset.name}' have already spent "
                f"ε={(epsilon_on_content - epsilon).normalize()} of the "
                f"ε={budget.epsilon_total.normalize()} their owner allows (on any of their "
                "mines); a new release would pass it. Existing releases are still reused."
            )
        # Charged before the noise is drawn; a failure below rolls both back together, and
        # noisy statistics that were never stored never left this process.
        budget_spend(mine=mine, epsilon=epsilon, delta=delta)
        statistics, _ = private_sufficient_statistics(
            trainer, X, y, epsilon=float(epsilon), delta=float(delta), scaling=scaling
        )
        PrivateRelease.objects.create(
            owner_id=mine.owner_id,
            mine=mine,
            content_sha256=content,
            release_key=key,
            epsilon=epsilon,
            delta=delta,
            statistics=statistics_to_json(statistics),
        )
    logger.info(
        "Mine '%s' released noisy statistics of dataset '%s' (ε=%s, δ=%s); later versions "
        "reuse them.",
        mine.name,
        dataset.name,
        epsilon.normalize(),
        delta.normalize(),
    )
    return Release(statistics=statistics, epsilon_spent=epsilon, delta_spent=delta, private=True)


def contribution_count_set(*, contribution: Contribution, n_samples: int) -> Contribution:
    """Record the (noisy) row count a contribution reports to Sonar, before it is sent."""
    contribution.n_samples = max(1, int(n_samples))
    contribution.save(update_fields=["n_samples", "updated_at"])
    return contribution
