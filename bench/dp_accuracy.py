"""What differential privacy costs in accuracy on the demo datasets. Prints JSON to stdout.

For diabetes (linear regression, R²), breast cancer (logistic regression, accuracy) and wine
(one-vs-rest logistic regression over 3 classes, accuracy), from scikit-learn, on RAW columns:
70% of the rows are one mine's, 30% the campaign's validation set. The campaign publishes a
per-feature scaling from its validation set (centre = mean, half-width = `HALF_WIDTHS` standard
deviations); the mine scales and clips per feature, releases its statistics ONCE with the
discrete Gaussian mechanism (syft.privacy.private_sufficient_statistics, δ = 1e-6, rows
clipped at ROW_NORM_FRACTION·sqrt(d), ridge RIDGE_FACTOR·σ·sqrt(width)), and the
campaign trains by gradient descent on that release (as accepted versions would) and is scored
on the validation set through the same scaling. "exact" is the same pipeline without noise.
Each private cell is the mean (and standard deviation) over `DRAWS` independent releases.

Run: .venv/bin/python bench/dp_accuracy.py
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syft.models import (  # after the path setup above
    LinearModel,
    LinearRegression,
    LogisticRegression,
    OneVsRestLogisticRegression,
    SufficientStatistics,
)
from syft.privacy import dp_clip_norm, private_sufficient_statistics
from syft.scaling import FeatureScaling

EPSILONS = (1.0, 3.0, 10.0)
DELTA = 1e-6
DRAWS = 20
STEPS = 500
HALF_WIDTHS = 2.0
SEED = 20240601


def datasets() -> list[tuple[str, LinearModel, np.ndarray, np.ndarray]]:
    """(name, model, X, y) on raw columns."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

    diabetes, cancer, wine = load_diabetes(), load_breast_cancer(), load_wine()
    return [
        ("diabetes", LinearRegression(n_features=10), diabetes.data, diabetes.target),
        ("breast_cancer", LogisticRegression(n_features=30), cancer.data, cancer.target),
        (
            "wine",
            OneVsRestLogisticRegression(n_features=13, n_classes=3),
            wine.data,
            wine.target,
        ),
    ]


def published_scaling(X: np.ndarray, y: np.ndarray, regression: bool) -> FeatureScaling:
    """What the campaign publishes, from its own validation rows."""
    center, spread = X.mean(axis=0), X.std(axis=0) * HALF_WIDTHS
    if regression:
        return FeatureScaling(
            center=center,
            half_width=spread,
            target_center=float(y.mean()),
            target_half_width=float(y.std() * HALF_WIDTHS),
        )
    return FeatureScaling(center=center, half_width=spread)


def train(model: LinearModel, statistics: SufficientStatistics) -> np.ndarray:
    """Gradient descent on the released statistics, step 1 / (largest eigenvalue of G/n)."""
    gram, moment = np.asarray(statistics.gram), np.asarray(statistics.moment)
    n = max(1, statistics.n_samples)
    top = float(np.linalg.eigvalsh(gram / n).max())
    step = 1.0 / max(top, 1e-12)
    weights = np.zeros(model.weight_shape)
    for _ in range(STEPS):
        gradient = gram @ weights - moment if weights.ndim == 1 else (gram @ weights.T).T - moment
        weights = weights - step * gradient / n
    return weights


def main() -> None:
    """Every dataset at every epsilon, and exact."""
    results = []
    for name, model, X, y in datasets():
        order = np.random.default_rng(SEED).permutation(len(X))
        cut = int(0.3 * len(X))
        test, mine = order[:cut], order[cut:]
        regression = isinstance(model, LinearRegression)
        scaling = published_scaling(X[test], y[test], regression)
        X_mine, X_test = scaling.transform(X[mine]), scaling.transform(X[test])
        y_mine = scaling.transform_target(y[mine]) if regression else y[mine]
        y_test = scaling.transform_target(y[test]) if regression else y[test]
        clip = dp_clip_norm(model)
        exact = model.sufficient_statistics(X_mine, y_mine, clip_norm=clip)
        row = {
            "dataset": name,
            "algorithm": model.algorithm,
            "metric": "R²" if regression else "accuracy",
            "rows_mine": len(mine),
            "rows_validation": len(test),
            "exact": round(model.score(train(model, exact), X_test, y_test), 4),
        }
        for epsilon in EPSILONS:
            scores = []
            for _ in range(DRAWS):
                released, _ = private_sufficient_statistics(
                    model, X_mine, y_mine, epsilon=epsilon, delta=DELTA, clip_norm=clip
                )
                scores.append(model.score(train(model, released), X_test, y_test))
            row[f"eps_{epsilon:g}"] = round(float(np.mean(scores)), 4)
            row[f"eps_{epsilon:g}_std"] = round(float(np.std(scores)), 4)
        results.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
