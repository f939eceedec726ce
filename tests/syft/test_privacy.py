import math

import numpy as np
import pytest

from syft.errors import InvalidDataError
from syft.models import (
    LinearRegression,
    LogisticRegression,
    OneVsOneLogisticRegression,
    OneVsRestLogisticRegression,
)
from syft.privacy import (
    PrivacyCost,
    gaussian_noise_scale,
    private_sufficient_statistics,
    privatize_statistics,
)


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def gaussian_delta(sigma: float, sensitivity: float, epsilon: float) -> float:
    """Balle and Wang's exact delta for the Gaussian mechanism, written out independently."""
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return normal_cdf(a - b) - math.exp(epsilon) * normal_cdf(-a - b)


@pytest.fixture
def data(rng):
    return rng.normal(size=(500, 4)) * 2, rng.integers(0, 2, size=500)


def noise_std(model, X, y, *, epsilon) -> float:
    """Empirical std of the noise the mechanism adds to the moment vector."""
    clean = model.sufficient_statistics(X, y, clip_norm=1.0)
    samples = [
        privatize_statistics(clean, epsilon=epsilon, delta=1e-6, clip_norm=1.0)[0].moment
        - clean.moment
        for _ in range(200)
    ]
    return float(np.std(samples))


def test_noise_scales_with_one_over_epsilon(data):
    model = LogisticRegression(n_features=4)
    X, y = data
    coarse = noise_std(model, X, y, epsilon=0.1)
    fine = noise_std(model, X, y, epsilon=0.2)
    assert coarse / fine == pytest.approx(2.0, rel=0.12)
    sigmas = [gaussian_noise_scale(epsilon=e, delta=1e-6, sensitivity=1.0) for e in (0.1, 0.2)]
    assert sigmas[0] / sigmas[1] == pytest.approx(2.0, rel=0.05)


def test_empirical_noise_matches_the_calibrated_sigma(data):
    model = LogisticRegression(n_features=4)
    X, y = data
    sensitivity = model.sufficient_statistics(X, y, clip_norm=1.0).sensitivity
    expected = gaussian_noise_scale(epsilon=0.5, delta=1e-6, sensitivity=sensitivity)
    assert noise_std(model, X, y, epsilon=0.5) == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("epsilon", [0.05, 0.5, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("delta", [1e-9, 1e-5])
def test_calibrated_sigma_is_the_smallest_that_meets_the_budget(epsilon, delta):
    sigma = gaussian_noise_scale(epsilon=epsilon, delta=delta, sensitivity=3.0)
    assert gaussian_delta(sigma, 3.0, epsilon) <= delta
    assert gaussian_delta(sigma * 0.999, 3.0, epsilon) > delta


def test_analytic_sigma_never_exceeds_the_classical_bound_where_that_applies():
    for epsilon in (0.1, 0.5, 0.9):
        classical = math.sqrt(2 * math.log(1.25 / 1e-5)) / epsilon
        assert gaussian_noise_scale(epsilon=epsilon, delta=1e-5, sensitivity=1.0) <= classical


def test_reported_cost_is_exactly_what_was_asked(data, rng):
    X, y = data
    _, cost = private_sufficient_statistics(
        LogisticRegression(n_features=4), X, y, epsilon=0.7, delta=1e-7, clip_norm=2.0
    )
    assert cost == PrivacyCost(epsilon=0.7, delta=1e-7)
    assert cost + cost == PrivacyCost(epsilon=1.4, delta=2e-7)


def test_noisy_gram_stays_symmetric_and_positive_semidefinite(data, rng):
    X, y = data
    noisy, _ = private_sufficient_statistics(
        LogisticRegression(n_features=4),
        X[:5],
        y[:5],
        epsilon=0.01,
        delta=1e-6,
        clip_norm=1.0,
    )
    np.testing.assert_allclose(noisy.gram, noisy.gram.T)
    assert np.linalg.eigvalsh(noisy.gram).min() >= -1e-9


def test_clipping_bounds_every_row_contribution(rng):
    X = rng.normal(size=(200, 3)) * 10
    y = rng.normal(size=200) * 10
    model = LinearRegression(n_features=3, fit_intercept=False)
    statistics = model.sufficient_statistics(X, y, clip_norm=2.0)
    # trace(XᵀX) = Σ‖x‖² and every clipped (x, y) has ‖x‖² + y² ≤ 4.
    assert np.trace(statistics.gram) <= 200 * 4 + 1e-9
    assert statistics.sensitivity == pytest.approx(4.0)  # one row added or removed
    unclipped = model.sufficient_statistics(X, y)
    assert np.trace(unclipped.gram) > 200 * 4


@pytest.mark.parametrize(
    "model",
    [
        LinearRegression(n_features=3),
        LogisticRegression(n_features=3),
        OneVsRestLogisticRegression(n_features=3, n_classes=4),
        OneVsOneLogisticRegression(n_features=3, n_classes=4),
    ],
    ids=lambda model: model.algorithm,
)
def test_sensitivity_bounds_the_change_from_adding_or_removing_any_row(model, rng):
    labels = getattr(model, "n_classes", 2)
    X = rng.normal(size=(30, 3)) * 5
    y = rng.integers(0, labels, size=30)
    base = model.sufficient_statistics(X, y, clip_norm=1.5)
    worst = 0.0
    for _ in range(50):
        row = rng.normal(size=(1, 3)) * 5
        label = rng.integers(0, labels, size=1)
        for X2, y2 in ((np.vstack([X, row]), np.concatenate([y, label])), (X[1:], y[1:])):
            other = model.sufficient_statistics(X2, y2, clip_norm=1.5)
            change = np.concatenate(
                [np.triu(other.gram - base.gram).ravel(), (other.moment - base.moment).ravel()]
            )
            worst = max(worst, float(np.linalg.norm(change)))
        X, y = np.vstack([row, X[1:]]), np.concatenate([label, y[1:]])
        base = model.sufficient_statistics(X, y, clip_norm=1.5)
    assert 0 < worst <= base.sensitivity


def test_unclipped_statistics_are_refused(data, rng):
    X, y = data
    statistics = LogisticRegression(n_features=4).sufficient_statistics(X, y)
    with pytest.raises(InvalidDataError, match="clip_norm"):
        privatize_statistics(statistics, epsilon=1.0, delta=1e-6, clip_norm=1.0)


def test_statistics_clipped_at_another_norm_are_refused(data, rng):
    X, y = data
    statistics = LogisticRegression(n_features=4).sufficient_statistics(X, y, clip_norm=3.0)
    with pytest.raises(InvalidDataError, match="clipped at 3"):
        privatize_statistics(statistics, epsilon=1.0, delta=1e-6, clip_norm=1.0)


@pytest.mark.parametrize(("epsilon", "delta"), [(0, 1e-6), (-1, 1e-6), (1, 0), (1, 1), (100, 1e-6)])
def test_meaningless_budgets_are_refused(epsilon, delta):
    with pytest.raises(InvalidDataError):
        gaussian_noise_scale(epsilon=epsilon, delta=delta, sensitivity=1.0)
