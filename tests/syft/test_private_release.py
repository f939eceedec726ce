"""A DP release: noise on a fixed-point grid, a noisy count, per-feature scaling, one key."""

import math

import numpy as np
import pytest

from syft.errors import InvalidDataError
from syft.models import LinearRegression, LogisticRegression, OneVsOneLogisticRegression
from syft.privacy import (
    NOISE_RESOLUTION_BITS,
    RIDGE_FACTOR,
    content_sha256,
    dp_clip_norm,
    gaussian_noise_scale,
    private_sufficient_statistics,
    release_key,
    statistics_from_json,
    statistics_to_json,
)
from syft.scaling import FeatureScaling


@pytest.fixture
def raw_data(rng):
    """Columns in very different raw units (as on real data), a target tied to both."""
    X = np.column_stack([rng.normal(5_000, 1_000, size=400), rng.normal(0.01, 0.002, size=400)])
    y = ((X[:, 0] - 5_000) / 1_000 + (X[:, 1] - 0.01) / 0.002 > 0).astype(int)
    scaling = FeatureScaling.from_bounds([2_000, 0.004], [8_000, 0.016])
    return X, y, scaling


def test_the_noise_lies_on_the_public_fixed_point_grid(raw_data):
    X, y, _ = raw_data
    # Unit scaling: the mapping back to raw units is the identity, so the grid shows.
    scaling = FeatureScaling(center=np.zeros(2), half_width=np.ones(2))
    X = np.clip((X - X.mean(axis=0)) / X.std(axis=0) / 3, -1, 1)
    model = LogisticRegression(n_features=2)
    released, _ = private_sufficient_statistics(
        model, X, y, epsilon=1.0, delta=1e-6, scaling=scaling
    )
    clean = model.sufficient_statistics(scaling.transform(X), y, clip_norm=dp_clip_norm(model))
    sigma = gaussian_noise_scale(epsilon=1.0, delta=1e-6, sensitivity=clean.sensitivity)
    exponent = NOISE_RESOLUTION_BITS - math.floor(math.log2(sigma))
    grid = released.moment * 2.0**exponent
    np.testing.assert_array_equal(grid, np.round(grid))  # integers: no float noise sample
    assert not np.array_equal(released.moment, clean.moment)


def test_the_released_count_is_noisy_not_exact(raw_data):
    X, y, scaling = raw_data
    model = LogisticRegression(n_features=2)
    counts = {
        private_sufficient_statistics(model, X, y, epsilon=1.0, delta=1e-6, scaling=scaling)[
            0
        ].n_samples
        for _ in range(5)
    }
    assert counts != {400}
    assert all(abs(count - 400) < 200 for count in counts)


def test_without_an_intercept_the_count_is_bucketed(raw_data):
    X, y, _ = raw_data
    scaling = FeatureScaling(center=np.zeros(2), half_width=np.array([10_000, 0.02]))
    model = LogisticRegression(n_features=2, fit_intercept=False)
    released, _ = private_sufficient_statistics(
        model, X[:300], y[:300], epsilon=1.0, delta=1e-6, scaling=scaling
    )
    assert released.n_samples == 512


def test_a_one_vs_one_count_divides_out_the_pairs(rng):
    model = OneVsOneLogisticRegression(n_features=2, n_classes=3)
    X, y = rng.uniform(-1, 1, size=(3000, 2)), rng.integers(0, 3, size=3000)
    scaling = FeatureScaling.from_bounds([-1, -1], [1, 1])
    released, _ = private_sufficient_statistics(
        model, X, y, epsilon=5.0, delta=1e-6, scaling=scaling
    )
    assert released.n_samples == pytest.approx(3000, rel=0.05)


def test_per_feature_scaling_keeps_the_signal_that_row_clipping_destroys(raw_data):
    X, y, scaling = raw_data
    model = LogisticRegression(n_features=2)
    # The old way: one clip norm for raw rows; every row is clipped, the small column is lost.
    naive = model.sufficient_statistics(X, y, clip_norm=dp_clip_norm(model))
    assert abs(naive.moment[1]) < 1e-5 * abs(naive.moment[0])
    scaled = model.sufficient_statistics(scaling.transform(X), y, clip_norm=dp_clip_norm(model))
    assert abs(scaled.moment[1]) > 0.2 * abs(scaled.moment[0])  # both columns carry signal
    inside = (X > [2_000, 0.004]).all(axis=1) & (X < [8_000, 0.016]).all(axis=1)
    np.testing.assert_allclose(
        scaling.transform(X)[inside], ((X - scaling.center) / scaling.half_width)[inside]
    )


def test_unscaled_weights_predict_the_same_on_raw_columns(raw_data, rng):
    X, _, scaling = raw_data
    regression = FeatureScaling(
        center=scaling.center, half_width=scaling.half_width, target_center=3, target_half_width=2
    )
    weights = rng.normal(size=3)
    raw = regression.unscale(weights, fit_intercept=True, regression=True)
    inside = np.abs((X - scaling.center) / scaling.half_width) < 1
    rows = inside.all(axis=1)
    scaled_prediction = regression.transform(X[rows]) @ weights[:2] + weights[2]
    np.testing.assert_allclose(X[rows] @ raw[:2] + raw[2], scaled_prediction * 2 + 3)


def test_dp_without_a_public_row_bound_is_refused(raw_data):
    X, y, _ = raw_data
    with pytest.raises(InvalidDataError, match="public bound"):
        private_sufficient_statistics(LogisticRegression(n_features=2), X, y, epsilon=1, delta=1e-6)


def test_scalings_with_bad_bounds_are_refused():
    with pytest.raises(InvalidDataError):
        FeatureScaling.from_bounds([0, 1], [1, 1])
    with pytest.raises(InvalidDataError):
        FeatureScaling.from_json({"center": [0], "half_width": [-1]})
    assert FeatureScaling.from_json({"lower": [0], "upper": [2]}).to_json()["center"] == [1.0]


def test_the_release_key_names_data_spec_clipping_and_budget(raw_data):
    X, y, scaling = raw_data
    model = LogisticRegression(n_features=2)
    base = {
        "content": content_sha256(X, y),
        "model": model,
        "scaling": scaling,
        "clip_norm": 1.5,
        "epsilon": 1.0,
        "delta": 1e-6,
    }
    key = release_key(**base)
    assert release_key(**base) == key
    X2 = X.copy()
    X2[7, 1] += 1e-9
    changes = [
        {"content": content_sha256(X2, y)},
        {"model": LogisticRegression(n_features=2, fit_intercept=False)},
        {"model": LinearRegression(n_features=2)},
        {"scaling": FeatureScaling.from_bounds([0, 0], [1, 1])},
        {"clip_norm": 2.0},
        {"epsilon": 3.0},
    ]
    assert len({release_key(**{**base, **change}) for change in changes} | {key}) == 7


def test_released_statistics_survive_the_cache_form(raw_data):
    X, y, scaling = raw_data
    released, _ = private_sufficient_statistics(
        LogisticRegression(n_features=2), X, y, epsilon=1, delta=1e-6, scaling=scaling
    )
    again = statistics_from_json(statistics_to_json(released))
    np.testing.assert_array_equal(again.gram, released.gram)
    assert again.n_samples == released.n_samples
    with pytest.raises(InvalidDataError):
        statistics_from_json({"gram": [[1]]})


def silent(sigma_squared, count):
    """A sampler that adds no noise: isolates the mapping between units."""
    return [0] * count


@pytest.mark.parametrize(
    "model",
    [
        LinearRegression(n_features=2),
        LogisticRegression(n_features=2),
        OneVsOneLogisticRegression(n_features=2, n_classes=3),
    ],
    ids=lambda model: model.algorithm,
)
def test_a_release_in_scaled_units_maps_back_exactly_to_raw_units(model, rng):
    X = np.column_stack([rng.normal(5_000, 1_000, 300), rng.normal(0.01, 0.002, 300)])
    labels = getattr(model, "n_classes", 2)
    y = (
        rng.normal(100, 20, 300)
        if isinstance(model, LinearRegression)
        else rng.integers(0, labels, 300)
    )
    scaling = FeatureScaling.from_bounds([0, 0], [10_000, 0.02], target_lower=0, target_upper=200)
    inside = np.all(np.abs(scaling.transform(X)) < 1, axis=1)
    if isinstance(model, LinearRegression):
        inside &= np.abs(scaling.transform_target(y)) < 1
    X, y = X[inside], y[inside]
    released, _ = private_sufficient_statistics(
        model, X, y, epsilon=1, delta=1e-6, scaling=scaling, sampler=silent, ridge=0, clip_norm=2.0
    )
    exact = model.sufficient_statistics(X, y)
    np.testing.assert_allclose(
        released.gram, exact.gram, rtol=1e-6, atol=1e-9 * np.abs(exact.gram).max()
    )
    np.testing.assert_allclose(
        released.moment, exact.moment, rtol=1e-6, atol=1e-6 * np.abs(exact.moment).max()
    )


def test_the_release_adds_a_ridge_proportional_to_the_noise(rng):
    model = LogisticRegression(n_features=2)
    X, y = rng.uniform(-1, 1, size=(100, 2)), rng.integers(0, 2, size=100)
    scaling = FeatureScaling(center=np.zeros(2), half_width=np.ones(2))
    options = {"epsilon": 1.0, "delta": 1e-6, "scaling": scaling, "sampler": silent}
    plain, _ = private_sufficient_statistics(model, X, y, ridge=0, **options)
    ridged, _ = private_sufficient_statistics(model, X, y, **options)
    sigma = gaussian_noise_scale(epsilon=1.0, delta=1e-6, sensitivity=plain.sensitivity)
    np.testing.assert_allclose(
        ridged.gram - plain.gram, RIDGE_FACTOR * sigma * np.sqrt(3) * np.eye(3)
    )
    assert ridged.n_samples == plain.n_samples == 100  # the count is read before the ridge
