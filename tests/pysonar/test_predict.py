"""A delivered model predicts, with pysonar.predict, exactly as the platform scores it."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from capsule.artifact import artifact_build
from pysonar import model_load, predict
from syft.models import model_for


def _standardized(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _trained(model, X, y, *, steps: int = 300, lr: float = 0.5) -> np.ndarray:
    """Plaintext gradient descent with syft's own gradient: weights as a campaign would end."""
    weights = model.initial_weights()
    for _ in range(steps):
        weights = weights - lr * model.plaintext_gradient(weights, X, y) / len(X)
    return weights


def _artifact(algorithm, model, weights, input_schema, output_schema, accuracy, **extra) -> bytes:
    return artifact_build(
        campaign_id=1, metadata={"name": "test"}, algorithm=algorithm,
        n_features=model.n_features, n_classes=getattr(model, "n_classes", None),
        fit_intercept=model.fit_intercept, input_schema=input_schema,
        output_schema=output_schema, accuracy=accuracy, weights=weights,
        key_fingerprint="0" * 64, source_blob="0" * 64, **extra,
    )  # fmt: skip


def _wine():
    data = load_wine()
    return (
        _standardized(data.data),
        data.target,
        [{"name": f"f{i}", "type": "float"} for i in range(data.data.shape[1])],
        [{"name": "cultivar", "type": "category", "categories": ["a", "b", "c"]}],
    )


def _cancer():
    data = load_breast_cancer()
    return (
        _standardized(data.data),
        data.target,
        [{"name": f"f{i}", "type": "float"} for i in range(data.data.shape[1])],
        [{"name": "malignant", "type": "bool"}],
    )


def _diabetes():
    data = load_diabetes()
    y = (data.target - data.target.mean()) / data.target.std()
    return (
        data.data,
        y,
        [{"name": n, "type": "float"} for n in data.feature_names],
        [{"name": "progression", "type": "float"}],
    )


CASES = {
    "linear_regression": _diabetes,
    "logistic_regression": _cancer,
    "logistic_regression_ovr": _wine,
    "logistic_regression_ovo": _wine,
}


@pytest.mark.parametrize("algorithm", sorted(CASES))
def test_predict_matches_the_platforms_own_predictions_and_score(algorithm):
    X, y, input_schema, output_schema = CASES[algorithm]()
    n_classes = len(output_schema[0].get("categories", [])) or None
    if algorithm == "logistic_regression":
        n_classes = None
    model = model_for(algorithm, n_features=X.shape[1], n_classes=n_classes)
    lr = 0.3 if algorithm == "linear_regression" else 0.5
    weights = _trained(model, X, y, lr=lr)
    platform_score = model.score(weights, X, y)
    delivered = model_load(
        _artifact(algorithm, model, weights, input_schema, output_schema, platform_score)
    )

    expected = model.predict(weights, X)
    if algorithm == "linear_regression":
        got = predict(delivered, X)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
        assert platform_score > 0.3
    else:
        got = predict(delivered, X, labels=False)
        assert np.array_equal(got, expected)
        assert np.mean(got == y) == pytest.approx(platform_score)
        assert platform_score > 0.9
    assert delivered.description["accuracy"] == platform_score


def test_the_one_vs_one_model_json_states_pairs_and_voting():
    X, y, input_schema, output_schema = _wine()
    model = model_for("logistic_regression_ovo", n_features=X.shape[1], n_classes=3)
    weights = _trained(model, X, y)
    data = _artifact("logistic_regression_ovo", model, weights, input_schema, output_schema, 1.0)
    spec = json.loads(zipfile.ZipFile(BytesIO(data)).read("model.json"))["prediction"]
    assert spec["pairs"] == [[0, 1], [0, 2], [1, 2]]
    assert spec["rule"] == "vote"
    assert "votes" in spec["rule_detail"] and "arctan" in spec["rule_detail"]
    assert spec["classes"] == ["a", "b", "c"]
    assert spec["features"] == [f"f{i}" for i in range(13)]
    assert spec["intercept"] is True
    assert spec["preprocessing"]["kind"] == "none"


def test_predict_takes_rows_by_name_and_answers_in_the_outputs_own_values():
    X, y, input_schema, output_schema = _wine()
    model = model_for("logistic_regression_ovo", n_features=X.shape[1], n_classes=3)
    weights = _trained(model, X, y)
    delivered = model_load(
        _artifact("logistic_regression_ovo", model, weights, input_schema, output_schema, 1.0)
    )
    rows = [{f"f{i}": float(value) for i, value in enumerate(row)} for row in X[:20]]
    assert predict(delivered, rows) == [["a", "b", "c"][i] for i in model.predict(weights, X[:20])]


def test_a_standardize_contract_is_applied_before_the_weights():
    data = load_breast_cancer()
    centre, scale = data.data.mean(axis=0), data.data.std(axis=0)
    X, y = (data.data - centre) / scale, data.target
    model = model_for("logistic_regression", n_features=X.shape[1])
    weights = _trained(model, X, y)
    _, _, input_schema, output_schema = _cancer()
    delivered = model_load(
        _artifact(
            "logistic_regression", model, weights, input_schema, output_schema, 1.0,
            preprocessing={"kind": "standardize", "centre": centre.tolist(),
                           "scale": scale.tolist()},
        )
    )  # fmt: skip
    raw_predictions = predict(delivered, data.data, labels=False)
    assert np.array_equal(raw_predictions, model.predict(weights, X))


def test_rows_of_the_wrong_width_are_refused_with_the_expected_features():
    X, _y, input_schema, output_schema = _diabetes()
    model = model_for("linear_regression", n_features=X.shape[1])
    delivered = model_load(
        _artifact("linear_regression", model, model.initial_weights(), input_schema,
                  output_schema, 0.0)
    )  # fmt: skip
    with pytest.raises(ValueError, match="takes 10 features"):
        predict(delivered, X[:, :3])


def test_a_damaged_or_encrypted_file_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match="gpg --decrypt"):
        model_load(b"-----BEGIN PGP MESSAGE-----\n...")
    with pytest.raises(ValueError, match="not a Sonar model zip"):
        model_load(b"PK\x03\x04 not really")
