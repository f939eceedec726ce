"""A miner's gradient from local rows, differentially private unless explicitly told otherwise.

from pysonar.gradient import ReleaseCache, gradient_compute
cache = ReleaseCache("releases.json")                  # keep it: releases are made once
mined = gradient_compute(model, X, y, cache=cache)     # ε = 3 per release by default
sonar.gradient_submit(..., n_samples=mined.n_samples, gradient=mined.gradient, ...)

The noisy statistics of one data content and model spec are released once and kept in the
cache; every later model version reuses them (post-processing, free), and the epsilon spent
per content may not pass the cache's total. `exact=True` turns privacy off, and says so in the
log every time.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pysonar.models import CampaignModel
from syft.encrypted import EncryptedArray
from syft.errors import InvalidDataError
from syft.models import GRADIENT_PRECISION_BITS, SufficientStatistics, model_for
from syft.obfuscation import pool_for
from syft.packing import PackedArray, pack
from syft.privacy import (
    content_sha256,
    dp_clip_norm,
    private_sufficient_statistics,
    release_key,
    statistics_from_json,
    statistics_to_json,
)
from syft.scaling import FeatureScaling

__all__ = [
    "DEFAULT_HALF_WIDTH",
    "MinedGradient",
    "PrivacyBudgetExceeded",
    "ReleaseCache",
    "gradient_compute",
]

logger = logging.getLogger("pysonar")

# Without a published scaling, columns are assumed standardized and clipped at ±3.
DEFAULT_HALF_WIDTH = 3.0


class PrivacyBudgetExceeded(InvalidDataError):
    """A new release would take one data content past the cache's epsilon total."""


@dataclass(frozen=True)
class MinedGradient:
    """What to submit: the re-randomized gradient and the count to report with it."""

    gradient: EncryptedArray | PackedArray
    n_samples: int  # read from the noisy release when private, never the exact count
    private: bool
    epsilon_spent: float  # 0 when an earlier release was reused


class ReleaseCache:
    """Released statistics by release key, and the epsilon spent per data content.

    With a path, the cache is a JSON file rewritten atomically after each release, so a
    restarted miner reuses its releases instead of drawing (and paying for) fresh noise.
    """

    def __init__(self, path: str | Path | None = None, *, epsilon_total: float = 10.0) -> None:
        self.path = None if path is None else Path(path)
        self.epsilon_total = float(epsilon_total)
        self._releases: dict[str, dict[str, Any]] = {}
        self._spent: dict[str, float] = {}
        if self.path is not None and self.path.exists():
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            self._releases = stored.get("releases", {})
            self._spent = stored.get("spent", {})

    def spent(self, content: str) -> float:
        """Epsilon released so far on one data content."""
        return self._spent.get(content, 0.0)

    def get(self, key: str) -> SufficientStatistics | None:
        """A stored release, or None."""
        stored = self._releases.get(key)
        return None if stored is None else statistics_from_json(stored)

    def put(self, *, key: str, content: str, epsilon: float, statistics: SufficientStatistics):
        """Record a release and its cost, and persist the cache."""
        self._releases[key] = statistics_to_json(statistics)
        self._spent[content] = self.spent(content) + epsilon
        if self.path is not None:
            partial = self.path.with_suffix(".partial")
            with partial.open("w", encoding="utf-8") as handle:
                json.dump({"releases": self._releases, "spent": self._spent}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(self.path)


def gradient_compute(
    model: CampaignModel,
    X: np.ndarray,
    y: np.ndarray,
    *,
    cache: ReleaseCache,
    epsilon: float = 3.0,
    delta: float = 1e-6,
    scaling: FeatureScaling | dict | None = None,
    exact: bool = False,
    packed: bool = False,
) -> MinedGradient:
    """Enc(G·w - b) for the campaign's model on your rows, re-randomized, ready to submit.

    Private by default: the statistics are released once per (rows, model spec, scaling,
    epsilon, delta) through `cache`. `scaling` is the campaign's published per-feature scaling
    (or {"lower": [...], "upper": [...]}); without one, standardized columns are assumed.
    `packed=True` sends wire format v2 (2 ciphertexts at d = 30) once your Sonar reads it.
    """
    trainer = model_for(
        model.algorithm,
        n_features=model.n_features,
        n_classes=model.n_classes,
        fit_intercept=model.fit_intercept,
    )
    if exact:
        logger.warning(
            "Computing an EXACT gradient for campaign %s: differential privacy is off "
            "(exact=True); the gradient reveals your rows' statistics to the capsule.",
            model.campaign_id,
        )
        statistics = trainer.sufficient_statistics(X, y)
        spent = 0.0
    else:
        if isinstance(scaling, dict):
            scaling = FeatureScaling.from_json(scaling)
        if scaling is None:
            scaling = FeatureScaling(
                center=np.zeros(trainer.n_features),
                half_width=np.full(trainer.n_features, DEFAULT_HALF_WIDTH),
                target_half_width=DEFAULT_HALF_WIDTH,
            )
        content = content_sha256(X, y)
        key = release_key(
            content=content,
            model=trainer,
            scaling=scaling,
            clip_norm=dp_clip_norm(trainer),
            epsilon=epsilon,
            delta=delta,
        )
        statistics = cache.get(key)
        spent = 0.0
        if statistics is None:
            if cache.spent(content) + epsilon > cache.epsilon_total:
                raise PrivacyBudgetExceeded(
                    f"These rows have already released ε={cache.spent(content):g} of "
                    f"{cache.epsilon_total:g}; a new release of ε={epsilon:g} would pass it."
                )
            statistics, _ = private_sufficient_statistics(
                trainer, X, y, epsilon=epsilon, delta=delta, scaling=scaling
            )
            cache.put(key=key, content=content, epsilon=epsilon, statistics=statistics)
            spent = epsilon
    gradient = trainer.encrypted_gradient(
        model.weights, statistics, precision_bits=GRADIENT_PRECISION_BITS
    )
    pool = pool_for(model.public_key)
    result: EncryptedArray | PackedArray
    if packed:
        result = pack(gradient, pool=pool)
    else:
        result = gradient.obfuscate(randomizers=pool.take(gradient.size))
    return MinedGradient(
        gradient=result, n_samples=statistics.n_samples, private=not exact, epsilon_spent=spent
    )
