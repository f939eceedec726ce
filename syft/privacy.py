"""Differential privacy for mines: discrete Gaussian noise on their fixed-point statistics.

The statistics are released ONCE per (data content, model spec, scaling, budget) and every
gradient is computed from that release (post-processing, free): see `release_key`. The noise
is an exact discrete Gaussian on integers (syft.dgauss, from `secrets`), added to the
statistics encoded at a public fixed-point scale, so no float sample ever carries noise.
"""

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from syft.dgauss import discrete_gaussian_list
from syft.errors import InvalidDataError
from syft.fixedpoint import encode
from syft.models import LinearModel, LinearRegression, SufficientStatistics
from syft.scaling import FeatureScaling

__all__ = [
    "MAX_EPSILON",
    "NOISE_RESOLUTION_BITS",
    "RIDGE_FACTOR",
    "ROW_NORM_FRACTION",
    "PrivacyCost",
    "content_sha256",
    "dp_clip_norm",
    "gaussian_noise_scale",
    "private_sufficient_statistics",
    "privatize_statistics",
    "release_key",
    "statistics_from_json",
    "statistics_to_json",
]

# The noise's standard deviation spans at least 2**24 integer steps: the rounding of the
# statistics to the grid is then negligible next to the noise, and it is accounted for anyway.
NOISE_RESOLUTION_BITS = 24
# After per-feature scaling to [-1, 1] a row could reach norm sqrt(d), but rows inside
# published bounds of ±2 standard deviations have a typical norm near sqrt(d)/2: clipping
# rows at half of sqrt(d) shrinks few of them and halves the noise's scale (measured in
# docs/privacy.md).
ROW_NORM_FRACTION = 0.5
# Ridge added to every released G, in units of the noise's σ times sqrt(width): it keeps
# the noisy G well conditioned (post-processing; measured in docs/privacy.md).
RIDGE_FACTOR = 3.0
Sampler = Callable[[Fraction, int], list[int]]

# Beyond this e**epsilon overflows the arithmetic below, and the guarantee means nothing.
MAX_EPSILON = 50.0


@dataclass(frozen=True)
class PrivacyCost:
    """The (epsilon, delta) a release spends; costs add up under basic composition."""

    epsilon: float
    delta: float

    def __add__(self, other: "PrivacyCost") -> "PrivacyCost":
        """The cost of making both releases."""
        return PrivacyCost(self.epsilon + other.epsilon, self.delta + other.delta)


def _normal_cdf(x: float) -> float:
    """Standard normal CDF, accurate in the far tails (erfc, not 1 - erf)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _delta_for(noise_over_sensitivity: float, epsilon: float) -> float:
    """The smallest delta the Gaussian mechanism with sigma = s * sensitivity achieves at epsilon.

    Exact privacy profile of the Gaussian mechanism (Balle and Wang, 2018, Theorem 8).
    """
    s = noise_over_sensitivity
    upper = _normal_cdf(1.0 / (2.0 * s) - epsilon * s)
    lower = _normal_cdf(-1.0 / (2.0 * s) - epsilon * s)
    return upper - math.exp(epsilon) * lower


def _check_budget(epsilon: float, delta: float) -> None:
    """Refuse privacy parameters that mean nothing."""
    if not isinstance(epsilon, int | float) or not 0 < epsilon <= MAX_EPSILON:
        raise InvalidDataError(f"epsilon must be in (0, {MAX_EPSILON:g}], not {epsilon!r}.")
    if not isinstance(delta, int | float) or not 0 < delta < 1:
        raise InvalidDataError(f"delta must be in (0, 1), not {delta!r}.")


def gaussian_noise_scale(*, epsilon: float, delta: float, sensitivity: float) -> float:
    """The smallest Gaussian sigma that makes a release of L2 sensitivity (epsilon, delta)-DP."""
    _check_budget(epsilon, delta)
    if not (math.isfinite(sensitivity) and sensitivity > 0):
        raise InvalidDataError(f"sensitivity must be positive, not {sensitivity!r}.")
    # delta(s) decreases in s: bracket the answer, then bisect (in units of the sensitivity).
    high = 1.0
    while _delta_for(high, epsilon) > delta:
        high *= 2.0
    low = high / 2.0
    while low > 1e-12 and _delta_for(low, epsilon) <= delta:
        low /= 2.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if _delta_for(middle, epsilon) > delta:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return high * sensitivity


def _noised_entries(gram: np.ndarray, moment: np.ndarray) -> int:
    """How many numbers get noise: every upper triangle of G and every entry of b."""
    width = gram.shape[-1]
    stacks = int(np.prod(gram.shape[:-2])) if gram.ndim > 2 else 1
    return stacks * width * (width + 1) // 2 + int(moment.size)


def privatize_statistics(
    statistics: SufficientStatistics,
    *,
    epsilon: float,
    delta: float,
    clip_norm: float,
    sampler: Sampler = discrete_gaussian_list,
) -> tuple[SufficientStatistics, PrivacyCost]:
    """Add discrete Gaussian noise to G (upper triangle, mirrored) and b on a fixed-point grid.

    The statistics must come from `model.sufficient_statistics(X, y, clip_norm=clip_norm)`,
    which clipped the rows and recorded the L2 sensitivity Δ. They are encoded as integers at
    exponent e (public: it depends on σ only), rounding adds at most sqrt(m) to the integer
    sensitivity (m = number of noised entries), and σ is calibrated to Δ·2**e + sqrt(m) by
    the analytic Gaussian (Balle and Wang 2018), which the discrete Gaussian matches
    (Canonne, Kamath and Steinke 2020, Theorem 7 and Corollary 9 on sums of independent
    coordinates). Gradients from the noisy statistics in any number of rounds cost nothing
    more (post-processing).
    """
    _check_budget(epsilon, delta)
    if statistics.clip_norm is None or statistics.sensitivity is None:
        raise InvalidDataError(
            "These statistics were computed from unclipped rows; compute them with "
            "model.sufficient_statistics(X, y, clip_norm=...) before adding noise."
        )
    if not math.isclose(statistics.clip_norm, clip_norm, rel_tol=1e-12):
        raise InvalidDataError(
            f"The statistics were clipped at {statistics.clip_norm:g}, not at {clip_norm:g}."
        )
    gram = np.asarray(statistics.gram, dtype=np.float64)
    moment = np.asarray(statistics.moment, dtype=np.float64)
    entries = _noised_entries(gram, moment)
    sigma = gaussian_noise_scale(epsilon=epsilon, delta=delta, sensitivity=statistics.sensitivity)
    exponent = NOISE_RESOLUTION_BITS - math.floor(math.log2(sigma))
    integer_sensitivity = math.ldexp(statistics.sensitivity, exponent) + math.sqrt(entries)
    sigma_int = gaussian_noise_scale(epsilon=epsilon, delta=delta, sensitivity=integer_sensitivity)
    noise = iter(sampler(Fraction(sigma_int) ** 2, entries))
    huge = 1 << 4096

    def noisy(values: np.ndarray) -> list[float]:
        integers, _ = encode(values, exponent=exponent, max_int=huge)
        return [
            (value + next(noise)) / (1 << exponent)
            if exponent >= 0
            else float((value + next(noise)) << -exponent)
            for value in integers
        ]

    rows, columns = np.triu_indices(gram.shape[-1])
    noisy_gram = np.empty_like(gram)
    for index in np.ndindex(gram.shape[:-2]):
        block = noisy_gram[index]
        upper = np.asarray(noisy(gram[index][rows, columns]))
        block[rows, columns] = upper
        block[columns, rows] = upper
    # Noise can make G indefinite, and gradient descent then diverges along the negative
    # directions; projecting onto the positive semidefinite cone is free post-processing.
    eigenvalues, eigenvectors = np.linalg.eigh(noisy_gram)
    noisy_gram = (eigenvectors * np.maximum(eigenvalues, 0.0)[..., None, :]) @ np.swapaxes(
        eigenvectors, -1, -2
    )
    noisy_moment = np.asarray(noisy(moment.ravel())).reshape(moment.shape)
    released = SufficientStatistics(
        gram=noisy_gram,
        moment=noisy_moment,
        n_samples=statistics.n_samples,
        clip_norm=statistics.clip_norm,
        sensitivity=statistics.sensitivity,
    )
    return released, PrivacyCost(epsilon=float(epsilon), delta=float(delta))


def dp_clip_norm(model: LinearModel) -> float:
    """The public row bound after per-feature scaling: ROW_NORM_FRACTION · sqrt(d (+ 1 target))."""
    return ROW_NORM_FRACTION * math.sqrt(
        model.n_features + int(isinstance(model, LinearRegression))
    )


def _with_ridge(statistics: SufficientStatistics, ridge: float) -> SufficientStatistics:
    """The same statistics with ridge·I added to every G (post-processing)."""
    gram = np.array(statistics.gram, dtype=np.float64, copy=True)
    width = gram.shape[-1]
    gram[..., np.arange(width), np.arange(width)] += ridge
    return SufficientStatistics(
        gram=gram,
        moment=statistics.moment,
        n_samples=statistics.n_samples,
        clip_norm=statistics.clip_norm,
        sensitivity=statistics.sensitivity,
    )


def _noisy_count(model: LinearModel, noisy: SufficientStatistics) -> int:
    """n read back from the noisy G (free post-processing), when an intercept carries it.

    Without an intercept nothing noisy holds n; it is then rounded up to a power of two,
    which hides small changes but is NOT differentially private (see docs/privacy.md).
    """
    if not model.fit_intercept:
        return 1 << max(0, noisy.n_samples - 1).bit_length()
    corner = np.asarray(noisy.gram)[..., -1, -1]
    total = float(np.sum(corner)) / model.gram_scale
    pairs = getattr(model, "pairs", None)
    if pairs:  # one-vs-one: every row sits in the k - 1 pairs of its class
        total /= model.n_classes - 1  # type: ignore[attr-defined]
    return max(1, round(total))


def private_sufficient_statistics(
    model: LinearModel,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epsilon: float,
    delta: float,
    scaling: FeatureScaling | None = None,
    clip_norm: float | None = None,
    ridge: float = RIDGE_FACTOR,
    sampler: Sampler = discrete_gaussian_list,
) -> tuple[SufficientStatistics, PrivacyCost]:
    """Scale and clip per feature, clip the rows, compute the statistics and release them.

    With `scaling`, features (and a regression target) are mapped to [-1, 1] in the units the
    campaign published, and the row bound is `dp_clip_norm(model)`; `clip_norm` overrides it.
    After the noise: n_samples is read from the noisy G (never the exact count), a ridge of
    `ridge` · σ · sqrt(width) is added to G's diagonal, and the statistics are returned in the
    campaign's raw units (FeatureScaling.raw_statistics): all post-processing.
    """
    features, target = np.asarray(X, dtype=np.float64), np.asarray(y)
    if scaling is not None:
        features = scaling.transform(features)
        if isinstance(model, LinearRegression):
            target = scaling.transform_target(target)
    if clip_norm is None:
        if scaling is None:
            raise InvalidDataError(
                "Differential privacy needs a public bound on every row: give the campaign's "
                "feature scaling (or a clip_norm)."
            )
        clip_norm = dp_clip_norm(model)
    statistics = model.sufficient_statistics(features, target, clip_norm=clip_norm)
    noisy, cost = privatize_statistics(
        statistics, epsilon=epsilon, delta=delta, clip_norm=clip_norm, sampler=sampler
    )
    released = SufficientStatistics(
        gram=noisy.gram,
        moment=noisy.moment,
        n_samples=_noisy_count(model, noisy),
        clip_norm=noisy.clip_norm,
        sensitivity=noisy.sensitivity,
    )
    if ridge:
        sigma = gaussian_noise_scale(
            epsilon=epsilon, delta=delta, sensitivity=statistics.sensitivity or 1.0
        )
        released = _with_ridge(released, ridge * sigma * math.sqrt(noisy.gram.shape[-1]))
    if scaling is not None:
        released = scaling.raw_statistics(released, model)
    return released, cost


# -- releasing once: content, key, cache form ------------------------------------------------


def content_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """sha256 of a dataset's rows as the model sees them (float64 features, then targets)."""
    digest = hashlib.sha256()
    features = np.ascontiguousarray(np.asarray(X, dtype=np.float64))
    digest.update(repr(features.shape).encode())
    digest.update(features.tobytes())
    digest.update(np.ascontiguousarray(np.asarray(y, dtype=np.float64)).tobytes())
    return digest.hexdigest()


def release_key(
    *,
    content: str,
    model: LinearModel,
    scaling: FeatureScaling | None,
    clip_norm: float,
    epsilon: float,
    delta: float,
) -> str:
    """The name of one release: the same data, model spec, clipping and budget give one key."""
    spec = {
        "content": content,
        "algorithm": model.algorithm,
        "n_features": model.n_features,
        "n_classes": getattr(model, "n_classes", None),
        "fit_intercept": model.fit_intercept,
        "scaling": None if scaling is None else scaling.to_json(),
        "clip_norm": float(clip_norm),
        "epsilon": float(epsilon),
        "delta": float(delta),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def statistics_to_json(statistics: SufficientStatistics) -> dict[str, Any]:
    """A released statistics object as JSON (floats: it is post-processing of the noise)."""
    return {
        "gram": np.asarray(statistics.gram).tolist(),
        "moment": np.asarray(statistics.moment).tolist(),
        "n_samples": int(statistics.n_samples),
        "clip_norm": statistics.clip_norm,
        "sensitivity": statistics.sensitivity,
    }


def statistics_from_json(data: Any) -> SufficientStatistics:
    """Read `statistics_to_json` output back."""
    try:
        return SufficientStatistics(
            gram=np.asarray(data["gram"], dtype=np.float64),
            moment=np.asarray(data["moment"], dtype=np.float64),
            n_samples=int(data["n_samples"]),
            clip_norm=data.get("clip_norm"),
            sensitivity=data.get("sensitivity"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidDataError(f"Stored statistics are unreadable: {exc}") from None
