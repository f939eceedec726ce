"""Per-feature scaling in units a campaign publishes, so clipping for privacy keeps the signal.

A campaign publishes, per input column, a centre and a half-width (or the lower and upper
bounds they come from). Mines map every value to (x - centre) / half_width and clip it to
[-1, 1]: a value inside the published bounds is never changed, and every row then has
‖x‖ <= sqrt(d) whatever the raw units, so the DP sensitivity is known in advance. The
validation set is scored through the same transformation (`transform`), and `unscale`
turns weights learned on scaled features back into weights on the raw columns.

Noise is added to statistics in the scaled units (centred, so the sensitivity is small next to
the signal); `raw_statistics` then maps the release back to the campaign's raw units with
x̃ = A·x̃' (post-processing, free), so a campaign whose model works on raw columns needs no
change: G = A·G'·Aᵀ and b = A·b' (for regression b = A·(t_w·b' + t_c·G'[:, -1])).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from syft.errors import InvalidDataError, ShapeMismatchError
from syft.models import LinearModel, LinearRegression, SufficientStatistics

__all__ = ["FeatureScaling"]


def _vector(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise InvalidDataError(f"{name} must be a list of finite numbers.")
    return array


@dataclass(frozen=True, eq=False)
class FeatureScaling:
    """x ↦ clip((x - center) / half_width, -1, 1) per column; the target likewise (regression)."""

    center: np.ndarray
    half_width: np.ndarray
    target_center: float = 0.0
    target_half_width: float = 1.0

    def __post_init__(self) -> None:
        """Refuse widths that are not positive: they would divide by zero or flip signs."""
        center = _vector(self.center, "center")
        half_width = _vector(self.half_width, "half_width")
        if center.shape != half_width.shape:
            raise ShapeMismatchError(
                f"Scaling has {center.size} centres but {half_width.size} half-widths."
            )
        if not np.all(half_width > 0) or not self.target_half_width > 0:
            raise InvalidDataError("Every half-width must be a positive number.")
        if not (math.isfinite(self.target_center) and math.isfinite(self.target_half_width)):
            raise InvalidDataError("The target's centre and half-width must be finite.")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "half_width", half_width)

    @classmethod
    def from_bounds(
        cls,
        lower: Any,
        upper: Any,
        *,
        target_lower: float | None = None,
        target_upper: float | None = None,
    ) -> FeatureScaling:
        """The scaling that maps [lower, upper] of every column (and of the target) to [-1, 1]."""
        low, high = _vector(lower, "lower"), _vector(upper, "upper")
        if low.shape != high.shape or not np.all(high > low):
            raise InvalidDataError("Every upper bound must be above its lower bound.")
        target: dict[str, float] = {}
        if target_lower is not None and target_upper is not None:
            if not target_upper > target_lower:
                raise InvalidDataError("The target's upper bound must be above its lower bound.")
            target = {
                "target_center": (target_lower + target_upper) / 2,
                "target_half_width": (target_upper - target_lower) / 2,
            }
        return cls(center=(low + high) / 2, half_width=(high - low) / 2, **target)

    @property
    def n_features(self) -> int:
        """Columns this scaling describes."""
        return int(self.center.size)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Scaled and clipped features; a value inside the published bounds is only scaled."""
        features = np.asarray(X, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != self.n_features:
            raise ShapeMismatchError(
                f"Data has shape {features.shape}; the scaling is for {self.n_features} columns."
            )
        return np.clip((features - self.center) / self.half_width, -1.0, 1.0)

    def transform_target(self, y: np.ndarray) -> np.ndarray:
        """A regression target scaled and clipped the same way."""
        target = np.asarray(y, dtype=np.float64)
        return np.clip((target - self.target_center) / self.target_half_width, -1.0, 1.0)

    def unscale(self, weights: np.ndarray, *, fit_intercept: bool, regression: bool) -> np.ndarray:
        """Weights on the raw columns equal to `weights` learned on scaled ones (inside bounds)."""
        w = np.array(weights, dtype=np.float64, copy=True)
        coefficients = w[..., : self.n_features] / self.half_width
        raw = np.array(w, copy=True)
        raw[..., : self.n_features] = coefficients
        if fit_intercept:
            raw[..., -1] = w[..., -1] - coefficients @ self.center
        elif np.any(self.center != 0):
            raise InvalidDataError("A centred scaling needs an intercept to be undone.")
        if regression:
            raw = raw * self.target_half_width
            if fit_intercept:
                raw[..., -1] += self.target_center
        return raw

    def to_json(self) -> dict[str, Any]:
        """The form a campaign publishes."""
        return {
            "center": self.center.tolist(),
            "half_width": self.half_width.tolist(),
            "target_center": float(self.target_center),
            "target_half_width": float(self.target_half_width),
        }

    @classmethod
    def from_json(cls, data: Any) -> FeatureScaling:
        """Read `to_json` output, or {"lower": [...], "upper": [...]} bounds."""
        if not isinstance(data, dict):
            raise InvalidDataError("A feature scaling must be a JSON object.")
        if "lower" in data or "upper" in data:
            return cls.from_bounds(
                data.get("lower"),
                data.get("upper"),
                target_lower=data.get("target_lower"),
                target_upper=data.get("target_upper"),
            )
        try:
            return cls(
                center=data["center"],
                half_width=data["half_width"],
                target_center=float(data.get("target_center", 0.0)),
                target_half_width=float(data.get("target_half_width", 1.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidDataError(
                f"A feature scaling needs center and half_width ({exc})."
            ) from None

    def _design_map(self, model: LinearModel) -> np.ndarray:
        """A with x̃ = A·x̃' for x̃' = (x', 1): diag(half_width), and the centre in the last column."""
        d = self.n_features
        if model.n_features != d:
            raise ShapeMismatchError(
                f"The scaling has {d} columns; the model has {model.n_features}."
            )
        if not model.fit_intercept:
            if np.any(self.center != 0) or (
                isinstance(model, LinearRegression) and self.target_center != 0
            ):
                raise InvalidDataError(
                    "A scaling with a non-zero centre needs a model with an intercept."
                )
            return np.diag(self.half_width)
        design = np.zeros((d + 1, d + 1))
        design[:d, :d] = np.diag(self.half_width)
        design[:d, d] = self.center
        design[d, d] = 1.0
        return design

    def raw_statistics(
        self, statistics: SufficientStatistics, model: LinearModel
    ) -> SufficientStatistics:
        """Statistics computed in scaled units, expressed in the campaign's raw units."""
        design = self._design_map(model)
        gram = np.asarray(statistics.gram, dtype=np.float64)
        moment = np.asarray(statistics.moment, dtype=np.float64)
        raw_gram = design @ gram @ design.T
        if isinstance(model, LinearRegression):
            scaled = self.target_half_width * moment
            if model.fit_intercept:
                scaled = scaled + self.target_center * gram[:, -1] / model.gram_scale
            raw_moment = design @ scaled
        else:
            # Logistic targets are ±½ whatever the units: only the design changes.
            raw_moment = moment @ design.T
        return SufficientStatistics(
            gram=raw_gram,
            moment=raw_moment,
            n_samples=statistics.n_samples,
            clip_norm=statistics.clip_norm,
            sensitivity=statistics.sensitivity,
        )
