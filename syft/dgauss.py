"""Exact samplers for the discrete Gaussian on the integers, from the OS CSPRNG (`secrets`).

Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
Algorithms 1-3, in exact rational arithmetic: no floating point touches a sample, so the
noise has none of the gaps a float sampler leaves (Mironov 2012), and every coin comes from
`secrets`, never from a seedable generator.
"""

from __future__ import annotations

import math
import secrets
from fractions import Fraction

__all__ = ["bernoulli_exp", "discrete_gaussian", "discrete_gaussian_list", "discrete_laplace"]

_ONE = Fraction(1)


def _bernoulli(p: Fraction) -> bool:
    """True with probability p in [0, 1], exactly."""
    return secrets.randbelow(p.denominator) < p.numerator


def bernoulli_exp(gamma: Fraction) -> bool:
    """True with probability exp(-gamma) for rational gamma >= 0 (CKS Algorithm 1)."""
    if gamma < 0:
        raise ValueError("bernoulli_exp needs gamma >= 0.")
    while gamma > 1:
        # exp(-gamma) = exp(-1) * exp(-(gamma - 1)): one exp(-1) coin per whole unit.
        if not bernoulli_exp(_ONE):
            return False
        gamma -= 1
    k = 1
    while _bernoulli(gamma / k):
        k += 1
    return k % 2 == 1


def discrete_laplace(t: int) -> int:
    """Y on the integers with P(Y = y) proportional to exp(-|y| / t), t >= 1 (CKS Algorithm 2)."""
    if t < 1:
        raise ValueError("discrete_laplace needs a scale t >= 1.")
    while True:
        u = secrets.randbelow(t)
        if not bernoulli_exp(Fraction(u, t)):
            continue
        v = 0
        while bernoulli_exp(_ONE):
            v += 1
        magnitude = u + t * v
        negative = secrets.randbelow(2) == 1
        if negative and magnitude == 0:
            continue  # zero would otherwise be drawn twice as often as it should
        return -magnitude if negative else magnitude


def discrete_gaussian(sigma_squared: Fraction) -> int:
    """Y on the integers with P(Y = y) proportional to exp(-y² / (2σ²)) (CKS Algorithm 3)."""
    if sigma_squared <= 0:
        raise ValueError("The discrete Gaussian needs sigma² > 0.")
    sigma_squared = Fraction(sigma_squared)
    t = math.isqrt(math.floor(sigma_squared)) + 1  # floor(σ) + 1, as the paper advises
    while True:
        y = discrete_laplace(t)
        gap = abs(y) - sigma_squared / t
        if bernoulli_exp(gap * gap / (2 * sigma_squared)):
            return y


def discrete_gaussian_list(sigma_squared: Fraction, count: int) -> list[int]:
    """count independent draws of the discrete Gaussian with variance parameter sigma²."""
    return [discrete_gaussian(sigma_squared) for _ in range(count)]
