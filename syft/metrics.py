"""The campaign metrics, each a number in [0, 1] where higher is better."""

import numpy as np

from syft.errors import ShapeMismatchError

__all__ = ["accuracy", "r2_clipped"]


def _paired(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays flattened, refusing different lengths or empty input."""
    truth, predicted = np.ravel(y_true), np.ravel(y_pred)
    if truth.shape != predicted.shape:
        raise ShapeMismatchError(
            f"There are {predicted.size} predictions for {truth.size} true values."
        )
    if truth.size == 0:
        raise ShapeMismatchError("Cannot score a model on zero rows.")
    return truth, predicted


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of predictions equal to the true label."""
    truth, predicted = _paired(y_true, y_pred)
    return float(np.mean(truth == predicted))


def r2_clipped(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination clipped to [0, 1], so it can serve as an accuracy."""
    truth, predicted = _paired(y_true, y_pred)
    truth, predicted = truth.astype(np.float64), predicted.astype(np.float64)
    residual = float(np.sum((truth - predicted) ** 2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total == 0.0:
        # A constant target: perfect predictions score 1, anything else explains nothing.
        return 1.0 if residual == 0.0 else 0.0
    return float(min(1.0, max(0.0, 1.0 - residual / total)))
