"""The discrete Gaussian sampler: exact distribution, checked statistically, from `secrets`."""

import math
from fractions import Fraction

import numpy as np
import pytest

from syft import dgauss
from syft.dgauss import bernoulli_exp, discrete_gaussian_list, discrete_laplace

DRAWS = 20_000


def pmf(sigma: float, support: range) -> np.ndarray:
    """P(Y = y) ∝ exp(-y² / 2σ²), normalised over a support wide enough to hold all mass."""
    weights = np.array([math.exp(-(y * y) / (2 * sigma * sigma)) for y in support])
    return weights / weights.sum()


@pytest.fixture(scope="module")
def draws_sigma_3() -> np.ndarray:
    return np.array(discrete_gaussian_list(Fraction(9), DRAWS), dtype=np.int64)


def test_mean_is_zero_and_variance_matches_the_discrete_gaussian(draws_sigma_3):
    support = range(-60, 61)
    probabilities = pmf(3.0, support)
    variance = float(np.sum(probabilities * np.array(support) ** 2))
    # Standard errors: σ/sqrt(N) for the mean, about σ²·sqrt(2/N) for the variance.
    assert abs(draws_sigma_3.mean()) < 4 * 3 / math.sqrt(DRAWS)
    assert draws_sigma_3.var() == pytest.approx(variance, abs=4 * variance * math.sqrt(2 / DRAWS))


def test_tails_match_the_exact_probabilities(draws_sigma_3):
    support = range(-60, 61)
    probabilities = dict(zip(support, pmf(3.0, support), strict=True))
    for k in (3, 6, 9):  # beyond 1σ, 2σ, 3σ
        expected = sum(p for y, p in probabilities.items() if abs(y) > k)
        observed = float(np.mean(np.abs(draws_sigma_3) > k))
        spread = math.sqrt(expected * (1 - expected) / DRAWS)
        assert abs(observed - expected) < 5 * spread + 1e-4, (k, observed, expected)
    assert np.abs(draws_sigma_3).max() < 30  # 10σ: probability about 1e-22


def test_every_value_near_the_centre_has_its_exact_frequency(draws_sigma_3):
    support = range(-60, 61)
    probabilities = dict(zip(support, pmf(3.0, support), strict=True))
    values, counts = np.unique(draws_sigma_3, return_counts=True)
    observed = dict(zip(values.tolist(), counts.tolist(), strict=True))
    # A chi-square over -8..8 plus the two tails: 18 degrees of freedom; 45 is p < 0.001.
    cells = [(range(y, y + 1)) for y in range(-8, 9)] + [range(-60, -8), range(9, 61)]
    chi_square = 0.0
    for cell in cells:
        expected = DRAWS * sum(probabilities[y] for y in cell)
        seen = sum(observed.get(y, 0) for y in cell)
        chi_square += (seen - expected) ** 2 / expected
    assert chi_square < 45


def test_a_large_sigma_keeps_its_scale():
    sigma = 2.0**30
    draws = np.array(discrete_gaussian_list(Fraction(sigma) ** 2, 4000), dtype=np.float64)
    assert draws.std() / sigma == pytest.approx(1.0, abs=4 * math.sqrt(1 / (2 * 4000)))
    assert np.mean(np.abs(draws) > 2 * sigma) == pytest.approx(0.0455, abs=0.015)


def test_bernoulli_exp_is_exp_minus_gamma():
    for gamma in (Fraction(1, 3), Fraction(1), Fraction(5, 2)):
        hits = sum(bernoulli_exp(gamma) for _ in range(8000))
        expected = math.exp(-gamma)
        assert hits / 8000 == pytest.approx(expected, abs=5 * math.sqrt(expected / 8000))


def test_discrete_laplace_is_symmetric_with_the_right_scale():
    draws = np.array([discrete_laplace(4) for _ in range(8000)])
    # Var of the discrete Laplace with parameter 1/t: 2e^(-1/t) / (1 - e^(-1/t))².
    q = math.exp(-1 / 4)
    assert draws.var() == pytest.approx(2 * q / (1 - q) ** 2, rel=0.1)
    assert abs(draws.mean()) < 0.3


def test_randomness_comes_from_secrets_not_a_seedable_generator(monkeypatch):
    calls = []
    real = dgauss.secrets.randbelow

    def counting(bound):
        calls.append(bound)
        return real(bound)

    monkeypatch.setattr(dgauss.secrets, "randbelow", counting)
    np.random.seed(0)
    discrete_gaussian_list(Fraction(4), 10)
    assert calls


@pytest.mark.parametrize("bad", [Fraction(0), Fraction(-1)])
def test_a_non_positive_variance_is_refused(bad):
    with pytest.raises(ValueError):
        discrete_gaussian_list(bad, 1)
