import numpy as np
import pytest

from syft.encrypted import EncryptedArray
from syft.errors import (
    InvalidDataError,
    KeyMismatchError,
    ShapeMismatchError,
    SyftError,
    UnknownAlgorithmError,
)
from syft.models import (
    ALGORITHMS,
    LinearRegression,
    LogisticRegression,
    OneVsOneLogisticRegression,
    OneVsRestLogisticRegression,
    model_for,
)

N_FEATURES = 6


def make_model(algorithm: str, fit_intercept: bool):
    n_classes = 3 if algorithm.startswith("logistic_regression_ov") else None
    return model_for(
        algorithm, n_features=N_FEATURES, n_classes=n_classes, fit_intercept=fit_intercept
    )


def make_data(model, rng, rows: int = 40):
    """Features, targets and weights with negative values everywhere."""
    X = rng.normal(size=(rows, N_FEATURES)) * 3 - 1
    if hasattr(model, "n_classes"):
        y = rng.integers(0, model.n_classes, size=rows)
    elif isinstance(model, LogisticRegression):
        y = rng.integers(0, 2, size=rows)
    else:
        y = rng.normal(size=rows) * 5 - 2
    weights = rng.normal(size=model.weight_shape)
    return X, y, weights


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["with_bias", "without_bias"])
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_encrypted_gradient_matches_numpy(paillier_keys, rng, algorithm, fit_intercept):
    public_key, private_key = paillier_keys
    model = make_model(algorithm, fit_intercept)
    X, y, weights = make_data(model, rng)
    assert (weights < 0).any() and (X < 0).any()
    encrypted_weights = EncryptedArray.encrypt(public_key, weights)
    gradient = model.encrypted_gradient(encrypted_weights, model.sufficient_statistics(X, y))
    assert gradient.shape == model.weight_shape
    expected = model.plaintext_gradient(weights, X, y)
    assert relative_error(gradient.decrypt(private_key), expected) <= 1e-6


def test_encrypted_gradient_with_a_2048_bit_key_matches_numpy(paillier_keys_2048, rng):
    public_key, private_key = paillier_keys_2048
    model = LogisticRegression(n_features=N_FEATURES)
    X, y, weights = make_data(model, rng)
    gradient = model.encrypted_gradient(
        EncryptedArray.encrypt(public_key, weights), model.sufficient_statistics(X, y)
    )
    expected = model.plaintext_gradient(weights, X, y)
    assert relative_error(gradient.decrypt(private_key), expected) <= 1e-6


def test_logistic_gradient_is_the_taylor_expansion_of_the_true_one_near_zero(rng):
    model = LogisticRegression(n_features=N_FEATURES)
    X, y, _ = make_data(model, rng)
    weights = np.full(model.weight_shape, 1e-4)
    design = np.hstack([X, np.ones((len(X), 1))])
    true_gradient = design.T @ (1 / (1 + np.exp(-design @ weights)) - y)
    assert relative_error(model.plaintext_gradient(weights, X, y), true_gradient) < 1e-6


def test_statistics_of_two_mines_add_up_to_the_statistics_of_all_rows(rng):
    model = LinearRegression(n_features=N_FEATURES)
    X, y, _ = make_data(model, rng)
    combined = model.sufficient_statistics(X[:15], y[:15]) + model.sufficient_statistics(
        X[15:], y[15:]
    )
    everything = model.sufficient_statistics(X, y)
    np.testing.assert_allclose(combined.gram, everything.gram, rtol=1e-12)
    np.testing.assert_allclose(combined.moment, everything.moment, rtol=1e-12)
    assert combined.n_samples == len(X)


def test_ovr_statistics_share_one_gram_matrix_across_classes(rng):
    model = OneVsRestLogisticRegression(n_features=N_FEATURES, n_classes=4)
    X, y, _ = make_data(model, rng)
    statistics = model.sufficient_statistics(X, y)
    design = np.hstack([X, np.ones((len(X), 1))])
    np.testing.assert_allclose(statistics.gram, design.T @ design / 4)
    assert statistics.moment.shape == (4, N_FEATURES + 1)


def test_ovo_statistics_give_each_pair_the_gram_and_moment_of_its_two_classes(rng):
    model = OneVsOneLogisticRegression(n_features=N_FEATURES, n_classes=3)
    X, y, _ = make_data(model, rng, rows=60)
    statistics = model.sufficient_statistics(X, y)
    assert model.pairs == [(0, 1), (0, 2), (1, 2)]
    design = np.hstack([X, np.ones((len(X), 1))])
    rows = design[(y == 0) | (y == 2)]
    np.testing.assert_allclose(statistics.gram[1], rows.T @ rows / 4)
    targets = (y[(y == 0) | (y == 2)] == 0) - 0.5
    np.testing.assert_allclose(statistics.moment[1], rows.T @ targets)


def test_ovo_votes_for_the_class_that_wins_most_pairs():
    model = OneVsOneLogisticRegression(n_features=1, n_classes=3, fit_intercept=False)
    # Pairs (0,1), (0,2), (1,2) with scores x, -x, -x: x > 0 -> 0 beats 1, 2 beats 0, 2 beats 1.
    weights = np.array([[1.0], [-1.0], [-1.0]])
    assert model.predict(weights, np.array([[2.0], [-2.0]])).tolist() == [2, 1]


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_update_on_ciphertexts_equals_a_plaintext_gradient_step(paillier_keys, rng, algorithm):
    public_key, private_key = paillier_keys
    model = make_model(algorithm, fit_intercept=True)
    X, y, weights = make_data(model, rng)
    encrypted_weights = EncryptedArray.encrypt(public_key, weights)
    gradient = model.encrypted_gradient(encrypted_weights, model.sufficient_statistics(X, y))
    updated = model.update(encrypted_weights, gradient, learning_rate=0.1, n_samples=len(X))
    expected = weights - 0.1 * model.plaintext_gradient(weights, X, y) / len(X)
    assert relative_error(updated.decrypt(private_key), expected) <= 1e-9
    assert updated.exponent > encrypted_weights.exponent


def test_one_round_of_training_leaves_plenty_of_headroom_on_a_fresh_2048_bit_model(
    paillier_keys_2048, rng
):
    public_key, _ = paillier_keys_2048
    model = LinearRegression(n_features=N_FEATURES)
    X, y, weights = make_data(model, rng, rows=1000)
    encrypted_weights = EncryptedArray.encrypt(public_key, weights)
    gradient = model.encrypted_gradient(encrypted_weights, model.sufficient_statistics(X, y))
    updated = model.update(encrypted_weights, gradient, learning_rate=0.01, n_samples=1000)
    spent = encrypted_weights.headroom_bits() - updated.headroom_bits()
    assert 50 < spent < 200
    assert updated.headroom_bits() > 1500


def test_gradient_of_the_wrong_size_is_refused_with_both_counts(paillier_keys):
    public_key, _ = paillier_keys
    model = LinearRegression(n_features=9)
    weights = EncryptedArray.encrypt(public_key, np.zeros(10))
    gradient = EncryptedArray.encrypt(public_key, np.zeros(12))
    with pytest.raises(ShapeMismatchError, match=r"Gradient has 12 values .*; expected 10"):
        model.update(weights, gradient, learning_rate=0.1, n_samples=5)


def test_update_refuses_a_gradient_under_another_key(paillier_keys, paillier_keys_other):
    model = LinearRegression(n_features=2)
    weights = EncryptedArray.encrypt(paillier_keys[0], np.zeros(3))
    gradient = EncryptedArray.encrypt(paillier_keys_other[0], np.ones(3))
    with pytest.raises(KeyMismatchError):
        model.update(weights, gradient, learning_rate=0.1, n_samples=5)


def test_update_accepts_numpy_scalars_for_the_step(paillier_keys):
    public_key, private_key = paillier_keys
    model = LinearRegression(n_features=2)
    weights = EncryptedArray.encrypt(public_key, np.ones(3))
    updated = model.update(weights, weights, learning_rate=np.float64(0.5), n_samples=np.int64(2))
    np.testing.assert_allclose(updated.decrypt(private_key), np.full(3, 0.75))


@pytest.mark.parametrize(
    ("learning_rate", "n_samples"), [(0, 5), (-0.1, 5), (float("nan"), 5), (0.1, 0), (0.1, 2.5)]
)
def test_update_refuses_meaningless_step_sizes(paillier_keys, learning_rate, n_samples):
    model = LinearRegression(n_features=2)
    weights = EncryptedArray.encrypt(paillier_keys[0], np.zeros(3))
    with pytest.raises(InvalidDataError):
        model.update(weights, weights, learning_rate=learning_rate, n_samples=n_samples)


def test_statistics_for_another_model_shape_are_refused(paillier_keys, rng):
    small, large = LinearRegression(n_features=2), LinearRegression(n_features=3)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=5)
    weights = EncryptedArray.encrypt(paillier_keys[0], np.zeros(3))
    with pytest.raises(ShapeMismatchError, match="Gram matrix"):
        small.encrypted_gradient(weights, large.sufficient_statistics(X, y))


def test_data_with_the_wrong_number_of_features_is_refused(rng):
    with pytest.raises(ShapeMismatchError, match=r"expects \(rows, 6\)"):
        LinearRegression(n_features=N_FEATURES).sufficient_statistics(
            rng.normal(size=(4, 5)), rng.normal(size=4)
        )


def test_non_finite_data_is_refused(rng):
    X = rng.normal(size=(4, N_FEATURES))
    X[2, 3] = np.nan
    with pytest.raises(InvalidDataError, match="not finite"):
        LinearRegression(n_features=N_FEATURES).sufficient_statistics(X, np.zeros(4))


@pytest.mark.parametrize(
    ("model", "labels"),
    [
        (LogisticRegression(n_features=1), [0, 1, 2]),
        (LogisticRegression(n_features=1), [0.5, 1, 0]),
        (OneVsRestLogisticRegression(n_features=1, n_classes=3), [0, 3, 1]),
        (OneVsRestLogisticRegression(n_features=1, n_classes=3), [0, -1, 1]),
        (OneVsRestLogisticRegression(n_features=1, n_classes=3), [0, 1.5, 1]),
    ],
    ids=repr,
)
def test_labels_outside_the_classes_are_refused(model, labels):
    with pytest.raises(InvalidDataError, match="abels"):
        model.sufficient_statistics(np.ones((3, 1)), np.array(labels))


def test_model_for_names_the_known_algorithms_on_an_unknown_name():
    with pytest.raises(UnknownAlgorithmError) as raised:
        model_for("random_forest", n_features=3)
    for name in ALGORITHMS:
        assert name in str(raised.value)


def test_model_for_builds_each_algorithm_with_its_weight_shape():
    assert model_for("linear_regression", n_features=4).weight_shape == (5,)
    assert model_for("logistic_regression", n_features=4, fit_intercept=False).weight_shape == (4,)
    ovr = model_for("logistic_regression_ovr", n_features=4, n_classes=3)
    assert ovr.weight_shape == (3, 5)
    ovo = model_for("logistic_regression_ovo", n_features=4, n_classes=4)
    assert ovo.weight_shape == (6, 5)
    with pytest.raises(InvalidDataError, match="n_classes"):
        model_for("logistic_regression_ovr", n_features=4)
    with pytest.raises(SyftError, match="logistic_regression_ovr"):
        model_for("logistic_regression", n_features=4, n_classes=5)


def test_initial_weights_are_zeros_or_reproducible_small_noise():
    model = OneVsRestLogisticRegression(n_features=3, n_classes=2)
    assert not model.initial_weights().any()
    first = model.initial_weights(method="random", seed=7)
    np.testing.assert_array_equal(first, model.initial_weights(method="random", seed=7))
    assert first.shape == (2, 4) and 0 < np.abs(first).max() < 0.1
    with pytest.raises(InvalidDataError, match="zeros"):
        model.initial_weights(method="xavier")


def test_scores_are_accuracy_or_r2_clipped_to_the_unit_interval(rng):
    X = rng.normal(size=(50, 2))
    regression = LinearRegression(n_features=2)
    true_weights = np.array([2.0, -1.0, 0.5])
    y = X @ true_weights[:2] + 0.5
    assert regression.score(true_weights, X, y) == pytest.approx(1.0)
    assert regression.score(-10 * true_weights, X, y) == 0.0  # R² far below zero, clipped
    classifier = LogisticRegression(n_features=2)
    labels = (X[:, 0] > 0).astype(int)
    assert classifier.score(np.array([1.0, 0.0, 0.0]), X, labels) == 1.0
    assert classifier.score(np.array([-1.0, 0.0, 0.0]), X, labels) == 0.0
    probabilities = classifier.predict_proba(np.array([1.0, 0.0, 0.0]), X)
    assert ((probabilities > 0.5) == labels.astype(bool)).all()
