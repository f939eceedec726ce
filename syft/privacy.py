"""Optional differential privacy for mines: Gaussian noise on their sufficient statistics."""

import math
from dataclasses import dataclass

import numpy as np

from syft.errors import InvalidDataError
from syft.models import LinearModel, SufficientStatistics

__all__ = [
    "MAX_EPSILON",
    "PrivacyCost",
    "gaussian_noise_scale",
    "private_sufficient_statistics",
    "privatize_statistics",
]

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


def privatize_statistics(
    statistics: SufficientStatistics,
    *,
    epsilon: float,
    delta: float,
    clip_norm: float,
    rng: np.random.Generator,
) -> tuple[SufficientStatistics, PrivacyCost]:
    """Add Gaussian noise to G (upper triangle, mirrored) and b; return them and the cost.

    The statistics must come from `model.sufficient_statistics(X, y, clip_norm=clip_norm)`,
    which clipped the rows and recorded the sensitivity. Gradients computed from the noisy
    statistics in any number of rounds cost nothing more (post-processing).
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
    sigma = gaussian_noise_scale(epsilon=epsilon, delta=delta, sensitivity=statistics.sensitivity)
    gram = np.asarray(statistics.gram, dtype=np.float64)
    # G may be one matrix or a stack of them (one per class pair); noise goes on every
    # upper triangle and is mirrored, so each G stays symmetric.
    upper = np.triu(rng.normal(0.0, sigma, size=gram.shape))
    noisy_gram = gram + upper + np.swapaxes(np.triu(upper, 1), -1, -2)
    # Noise can make G indefinite, and gradient descent then diverges along the negative
    # directions; projecting onto the positive semidefinite cone is free post-processing.
    eigenvalues, eigenvectors = np.linalg.eigh(noisy_gram)
    noisy_gram = (eigenvectors * np.maximum(eigenvalues, 0.0)[..., None, :]) @ np.swapaxes(
        eigenvectors, -1, -2
    )
    moment = np.asarray(statistics.moment, dtype=np.float64)
    noisy_moment = moment + rng.normal(0.0, sigma, size=moment.shape)
    noisy = SufficientStatistics(
        gram=noisy_gram,
        moment=noisy_moment,
        n_samples=statistics.n_samples,
        clip_norm=statistics.clip_norm,
        sensitivity=statistics.sensitivity,
    )
    return noisy, PrivacyCost(epsilon=float(epsilon), delta=float(delta))


def private_sufficient_statistics(
    model: LinearModel,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epsilon: float,
    delta: float,
    clip_norm: float,
    rng: np.random.Generator,
) -> tuple[SufficientStatistics, PrivacyCost]:
    """Clip the rows, compute the statistics and privatize them in one call."""
    statistics = model.sufficient_statistics(X, y, clip_norm=clip_norm)
    return privatize_statistics(
        statistics, epsilon=epsilon, delta=delta, clip_norm=clip_norm, rng=rng
    )
