"""Linear models whose gradient is G·w - b: d² encrypted products, however many rows a mine has."""

import itertools
import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from syft.encrypted import EncryptedArray, plaintext_matvec
from syft.errors import InvalidDataError, ShapeMismatchError, SyftError, UnknownAlgorithmError
from syft.fixedpoint import DEFAULT_PRECISION_BITS
from syft.metrics import accuracy, r2_clipped

__all__ = [
    "ALGORITHMS",
    "GRADIENT_PRECISION_BITS",
    "STEP_PRECISION_BITS",
    "LinearModel",
    "LinearRegression",
    "LogisticRegression",
    "OneVsOneLogisticRegression",
    "OneVsRestLogisticRegression",
    "SufficientStatistics",
    "model_for",
]

_NOT_FINITE = "Data contains values that are not finite (NaN or infinity)."
# The step lr / n is one scalar; 32 significant bits put its relative error near 1e-10,
# far below anything training notices, and cost 21 fewer bits of headroom than 53.
STEP_PRECISION_BITS = 32
# A mine's G with 32 significant bits: relative error 2**-32, far below any noise in the data
# (and below DP noise by many orders), at about half the cost of 53 bits.
GRADIENT_PRECISION_BITS = 32


def _is_integer(value: object) -> bool:
    """A Python or numpy integer, but not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class SufficientStatistics:
    """What a mine's rows contribute: gradient = gram · w - moment, summed over its rows.

    `clip_norm` and `sensitivity` are set when rows were clipped for differential privacy:
    sensitivity bounds the L2 change of (upper triangle of gram, moment) when one row is
    added or removed (unbounded DP; replacing a row is a removal plus an addition).
    """

    gram: np.ndarray
    moment: np.ndarray
    n_samples: int
    clip_norm: float | None = None
    sensitivity: float | None = None

    def __add__(self, other: "SufficientStatistics") -> "SufficientStatistics":
        """Statistics of the union of two disjoint sets of rows."""
        if self.gram.shape != other.gram.shape or self.moment.shape != other.moment.shape:
            raise ShapeMismatchError("Cannot add statistics of models with different shapes.")
        return SufficientStatistics(
            gram=self.gram + other.gram,
            moment=self.moment + other.moment,
            n_samples=self.n_samples + other.n_samples,
        )


class LinearModel:
    """A model whose (linearised) loss gradient is gram_scale·X̃ᵀX̃·w - X̃ᵀt over rows x̃ = (x, 1).

    The intercept, when fitted, is the LAST weight of each weight vector.
    """

    algorithm: ClassVar[str] = ""
    # The factor in front of X̃ᵀX̃ in the gradient (1 for squared loss, 1/4 for the
    # first-order Taylor expansion of the logistic loss).
    gram_scale: ClassVar[float] = 1.0

    def __init__(self, *, n_features: int, fit_intercept: bool = True) -> None:
        """Describe the model's shape; the weights themselves live elsewhere (encrypted)."""
        if not _is_integer(n_features) or n_features < 1:
            raise InvalidDataError(f"n_features must be a positive integer, not {n_features!r}.")
        self.n_features = int(n_features)
        self.fit_intercept = bool(fit_intercept)

    def __repr__(self) -> str:
        """Algorithm and shape."""
        return (
            f"{type(self).__name__}(n_features={self.n_features}, "
            f"fit_intercept={self.fit_intercept})"
        )

    # -- shapes -----------------------------------------------------------------------

    @property
    def n_weights(self) -> int:
        """Weights per output: one per feature, plus the intercept."""
        return self.n_features + int(self.fit_intercept)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of the weights (and of the gradient)."""
        return (self.n_weights,)

    def initial_weights(
        self, *, method: Literal["zeros", "random"] = "zeros", seed: int | None = None
    ) -> np.ndarray:
        """Starting weights: all zeros, or small Gaussian noise (std 0.01) from `seed`."""
        if method == "zeros":
            return np.zeros(self.weight_shape)
        if method == "random":
            return np.random.default_rng(seed).normal(0.0, 0.01, size=self.weight_shape)
        raise InvalidDataError(f"Unknown initialisation {method!r}; use 'zeros' or 'random'.")

    # -- data -------------------------------------------------------------------------

    def _features(self, X: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """Validated float64 feature matrix (n, n_features)."""
        features = np.asarray(X, dtype=np.float64)
        if features.ndim != 2 or features.shape[1] != self.n_features:
            raise ShapeMismatchError(
                f"Data has shape {features.shape}; this model expects (rows, {self.n_features})."
            )
        if check_finite and not np.all(np.isfinite(features)):
            raise InvalidDataError(_NOT_FINITE)
        return features

    def _with_intercept(self, features: np.ndarray) -> np.ndarray:
        """Append the constant column that carries the intercept."""
        if not self.fit_intercept:
            return features
        return np.hstack([features, np.ones((features.shape[0], 1))])

    def _labels(self, y: np.ndarray, n_rows: int) -> np.ndarray:
        """Validated targets, one per row."""
        target = np.asarray(y)
        if target.ndim != 1 or target.shape[0] != n_rows:
            raise ShapeMismatchError(
                f"There are {target.size} targets for {n_rows} rows; expected one per row."
            )
        if not np.issubdtype(target.dtype, np.number) or not np.all(np.isfinite(target)):
            raise InvalidDataError("Targets must be finite numbers.")
        return target

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """The per-row t with moment = X̃ᵀt: shape (n,) or (n, k)."""
        raise NotImplementedError

    def _row_bound(self, clip_norm: float) -> float:
        """Largest ‖(gram_scale·upper(x̃x̃ᵀ), x̃tᵀ)‖ one clipped row can contribute."""
        raise NotImplementedError

    @staticmethod
    def _clip(rows: np.ndarray, clip_norm: float) -> np.ndarray:
        """Scale every row longer than clip_norm (L2) down to exactly clip_norm."""
        norms = np.linalg.norm(rows, axis=1)
        factors = np.minimum(1.0, clip_norm / np.maximum(norms, np.finfo(np.float64).tiny))
        return rows * factors[:, None]

    def sufficient_statistics(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        clip_norm: float | None = None,
    ) -> SufficientStatistics:
        """Compute G and b from a mine's rows (plain numpy; the rows never leave the mine).

        With clip_norm, rows are clipped first and the statistics carry the sensitivity
        that `syft.privacy.privatize_statistics` needs.
        """
        # Non-finite input makes some diagonal entry of XᵀX non-finite, so checking the
        # small results replaces a full pass over a possibly large X.
        features = self._features(X, check_finite=False)
        target = self._labels(y, features.shape[0])
        sensitivity = None
        if clip_norm is not None:
            if not (isinstance(clip_norm, int | float) and math.isfinite(clip_norm)) or (
                clip_norm <= 0
            ):
                raise InvalidDataError(f"clip_norm must be a positive number, not {clip_norm!r}.")
            features, target = self._clip_rows(features, target, float(clip_norm))
            # Neighbours differ by one row added or removed: one row's contribution.
            sensitivity = self._row_bound(float(clip_norm))
        gram, moment = self._gram_and_moment(features, target)
        if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(moment))):
            raise InvalidDataError(_NOT_FINITE + " (Or so large that their squares overflow.)")
        return SufficientStatistics(
            gram=gram,
            moment=moment,
            n_samples=int(features.shape[0]),
            clip_norm=None if clip_norm is None else float(clip_norm),
            sensitivity=sensitivity,
        )

    def _gram_and_moment(
        self, features: np.ndarray, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """G = gram_scale·X̃ᵀX̃ and b = (X̃ᵀt)ᵀ, shaped like the weights."""
        gram, moment = self._products(features, self._targets(target))
        return self.gram_scale * gram, np.ascontiguousarray(moment.T)

    def _products(self, features: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X̃ᵀX̃ and X̃ᵀt, built from blocks so the intercept column is never materialised."""
        cross = features.T @ features
        moment = features.T @ targets
        if not self.fit_intercept:
            return cross, moment
        # X̃ = [X, 1]: the extra row/column of X̃ᵀX̃ holds column sums and n; X̃ᵀt gains Σt.
        sums = features.sum(axis=0)
        gram = np.empty((self.n_weights, self.n_weights))
        gram[:-1, :-1] = cross
        gram[:-1, -1] = gram[-1, :-1] = sums
        gram[-1, -1] = features.shape[0]
        return gram, np.concatenate([moment, targets.sum(axis=0)[None, ...]], axis=0)

    def _clip_rows(
        self, features: np.ndarray, target: np.ndarray, clip_norm: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Clip the feature part of every row to clip_norm (targets are already bounded)."""
        return self._clip(features, clip_norm), target

    @property
    def gram_shape(self) -> tuple[int, ...]:
        """Shape of G in the statistics: one matrix shared by every output."""
        return (self.n_weights, self.n_weights)

    def _check_statistics(self, statistics: SufficientStatistics) -> None:
        """Refuse statistics computed for a model of another shape."""
        expected_gram = self.gram_shape
        if np.shape(statistics.gram) != expected_gram:
            raise ShapeMismatchError(
                f"Statistics have a Gram matrix of shape {np.shape(statistics.gram)}; this model "
                f"expects {expected_gram}."
            )
        if np.shape(statistics.moment) != self.weight_shape:
            raise ShapeMismatchError(
                f"Statistics have a moment of shape {np.shape(statistics.moment)}; this model "
                f"expects {self.weight_shape}."
            )

    def _check_weights(self, weights: np.ndarray | EncryptedArray, what: str) -> None:
        """Refuse weights or gradients of the wrong shape, naming both counts."""
        if tuple(weights.shape) != self.weight_shape:
            size = math.prod(weights.shape)
            expected = math.prod(self.weight_shape)
            raise ShapeMismatchError(
                f"{what} has {size} values (shape {tuple(weights.shape)}); expected {expected} "
                f"(shape {self.weight_shape})."
            )

    # -- gradients --------------------------------------------------------------------

    def encrypted_gradient(
        self,
        encrypted_weights: EncryptedArray,
        statistics: SufficientStatistics,
        *,
        precision_bits: int = DEFAULT_PRECISION_BITS,
    ) -> EncryptedArray:
        """Enc(G·w - b), a SUM over the mine's rows (not divided by n).

        G is encoded with `precision_bits` significant bits (GRADIENT_PRECISION_BITS is
        plenty and twice as fast). Obfuscate (or pack, which re-randomizes) the result before
        it leaves the mine: its randomness is otherwise a deterministic function of the
        published weights and the mine's statistics.
        """
        self._check_weights(encrypted_weights, "Encrypted weights")
        self._check_statistics(statistics)
        gram = np.asarray(statistics.gram, dtype=np.float64)
        if gram.ndim == 3:
            # One G per weight vector (one-vs-one): a batched product, row q with G[q].
            products = plaintext_matvec(gram, encrypted_weights, precision_bits=precision_bits)
        elif encrypted_weights.ndim == 1:
            products = plaintext_matvec(gram, encrypted_weights, precision_bits=precision_bits)
        else:
            # Every class shares G, so one call works on all columns of Wᵀ at once.
            products = plaintext_matvec(gram, encrypted_weights.T, precision_bits=precision_bits).T
        return products - np.asarray(statistics.moment, dtype=np.float64)

    def plaintext_gradient(
        self,
        weights: np.ndarray,
        X: np.ndarray,
        y: np.ndarray,
    ) -> np.ndarray:
        """The same gradient computed row by row in numpy: X̃ᵀ(gram_scale·X̃w - t)."""
        weights = np.asarray(weights, dtype=np.float64)
        self._check_weights(weights, "Weights")
        features = self._features(X)
        design = self._with_intercept(features)
        targets = self._targets(self._labels(y, features.shape[0]))
        residual = self.gram_scale * (design @ weights.T) - targets
        return np.ascontiguousarray((design.T @ residual).T)

    def update(
        self,
        encrypted_weights: EncryptedArray,
        encrypted_gradient: EncryptedArray,
        *,
        learning_rate: float,
        n_samples: int,
    ) -> EncryptedArray:
        """Enc(w - learning_rate · g / n_samples), computed on ciphertexts only."""
        self._check_weights(encrypted_weights, "Encrypted weights")
        self._check_weights(encrypted_gradient, "Gradient")
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, int | float | np.integer | np.floating)
            or not (math.isfinite(learning_rate) and learning_rate > 0)
        ):
            raise InvalidDataError(
                f"learning_rate must be a positive finite number, not {learning_rate!r}."
            )
        if not _is_integer(n_samples) or n_samples < 1:
            raise InvalidDataError(f"n_samples must be a positive integer, not {n_samples!r}.")
        step = encrypted_gradient.multiply(
            -float(learning_rate) / int(n_samples), precision_bits=STEP_PRECISION_BITS
        )
        return encrypted_weights + step

    # -- evaluation -------------------------------------------------------------------

    def decision_function(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Linear scores X̃·wᵀ: shape (n,) or (n, k)."""
        weights = np.asarray(weights, dtype=np.float64)
        self._check_weights(weights, "Weights")
        return self._with_intercept(self._features(X)) @ weights.T

    def predict(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predictions for every row."""
        raise NotImplementedError

    def score(self, weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """The campaign metric in [0, 1]."""
        raise NotImplementedError


class LinearRegression(LinearModel):
    """Least squares: gradient Xᵀ(Xw - y) = G·w - b with G = XᵀX, b = Xᵀy; score is R² in [0, 1]."""

    algorithm: ClassVar[str] = "linear_regression"
    gram_scale: ClassVar[float] = 1.0

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """The target itself."""
        return y.astype(np.float64)

    def _clip_rows(
        self, features: np.ndarray, target: np.ndarray, clip_norm: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Clip each row (x, y) jointly, so the target is bounded too."""
        joined = np.hstack([features, target.astype(np.float64)[:, None]])
        clipped = self._clip(joined, clip_norm)
        return clipped[:, :-1], clipped[:, -1]

    def _row_bound(self, clip_norm: float) -> float:
        """With ‖x‖² + y² ≤ C² and u = ‖x̃‖²: ‖upper(x̃x̃ᵀ)‖² + ‖x̃y‖² ≤ u(u + y²) ≤ (C² + i)²."""
        return clip_norm**2 + float(self.fit_intercept)

    def predict(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predicted targets."""
        return self.decision_function(weights, X)

    def score(self, weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """R² clipped to [0, 1]."""
        return r2_clipped(y, self.predict(weights, X))


class LogisticRegression(LinearModel):
    """Binary logistic regression through sigmoid(z) ≈ ½ + z/4: G = XᵀX/4, b = Xᵀ(y - ½)."""

    algorithm: ClassVar[str] = "logistic_regression"
    gram_scale: ClassVar[float] = 0.25

    def _labels(self, y: np.ndarray, n_rows: int) -> np.ndarray:
        """Labels must be 0 or 1."""
        target = super()._labels(y, n_rows)
        if not np.all((target == 0) | (target == 1)):
            raise InvalidDataError("Logistic regression needs labels 0 and 1 only.")
        return target

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """y - ½, the constant term of the Taylor expansion moved to the target."""
        return y.astype(np.float64) - 0.5

    def _row_bound(self, clip_norm: float) -> float:
        """With u = ‖x̃‖² ≤ C² + i and |t| = ½: sqrt(u²/16 + u/4)."""
        u = clip_norm**2 + float(self.fit_intercept)
        return math.sqrt(u * u / 16 + u / 4)

    def predict_proba(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Probability of class 1 under the true sigmoid."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(weights, X)))

    def predict(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Labels 0/1."""
        return (self.decision_function(weights, X) >= 0).astype(np.int64)

    def score(self, weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy."""
        return accuracy(y, self.predict(weights, X))


class _MultiClassModel(LinearModel):
    """Shared by the multi-class models: integer labels 0 .. n_classes - 1."""

    def __init__(self, *, n_features: int, n_classes: int, fit_intercept: bool = True) -> None:
        """Describe the model's shape."""
        super().__init__(n_features=n_features, fit_intercept=fit_intercept)
        if not _is_integer(n_classes) or n_classes < 2:
            raise InvalidDataError(
                f"n_classes must be an integer of at least 2, not {n_classes!r}."
            )
        self.n_classes = int(n_classes)

    def __repr__(self) -> str:
        """Algorithm and shape."""
        return (
            f"{type(self).__name__}(n_features={self.n_features}, n_classes={self.n_classes}, "
            f"fit_intercept={self.fit_intercept})"
        )

    def _labels(self, y: np.ndarray, n_rows: int) -> np.ndarray:
        """Labels must be the integers 0 .. n_classes - 1."""
        target = super()._labels(y, n_rows)
        if not np.all((target == np.round(target)) & (target >= 0) & (target < self.n_classes)):
            raise InvalidDataError(
                f"Labels must be integers from 0 to {self.n_classes - 1} for "
                f"{self.n_classes} classes."
            )
        return target.astype(np.int64)

    def score(self, weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy."""
        return accuracy(y, self.predict(weights, X))


class OneVsRestLogisticRegression(_MultiClassModel):
    """k binary logistic regressions (class c against the rest) sharing one Gram matrix."""

    algorithm: ClassVar[str] = "logistic_regression_ovr"
    gram_scale: ClassVar[float] = 0.25

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """One weight vector per class."""
        return (self.n_classes, self.n_weights)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """One column per class: 1[y = c] - ½."""
        return (y[:, None] == np.arange(self.n_classes)[None, :]).astype(np.float64) - 0.5

    def _row_bound(self, clip_norm: float) -> float:
        """With u = ‖x̃‖² ≤ C² + i and k targets of ±½: sqrt(u²/16 + k·u/4)."""
        u = clip_norm**2 + float(self.fit_intercept)
        return math.sqrt(u * u / 16 + self.n_classes * u / 4)

    def predict(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The class whose score is highest."""
        return np.argmax(self.decision_function(weights, X), axis=1).astype(np.int64)


class OneVsOneLogisticRegression(_MultiClassModel):
    """k(k-1)/2 binary logistic regressions, one per pair of classes, combined by voting.

    Pair (a, b) is trained on the rows of classes a and b only (z >= 0 votes for a), so
    each pair has its own G = (S_a + S_b) / 4 from per-class Gram matrices S_c. Unlike
    one-vs-rest, the linearised pairs do not mask a class that lies between two others.
    """

    algorithm: ClassVar[str] = "logistic_regression_ovo"
    gram_scale: ClassVar[float] = 0.25

    def __init__(self, *, n_features: int, n_classes: int, fit_intercept: bool = True) -> None:
        """Describe the model: weights have shape (n_pairs, n_features [+ 1])."""
        super().__init__(n_features=n_features, n_classes=n_classes, fit_intercept=fit_intercept)
        self.pairs: list[tuple[int, int]] = list(itertools.combinations(range(n_classes), 2))

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """One weight vector per pair of classes, in itertools.combinations order."""
        return (len(self.pairs), self.n_weights)

    @property
    def gram_shape(self) -> tuple[int, ...]:
        """One G per pair."""
        return (len(self.pairs), self.n_weights, self.n_weights)

    def _gram_and_moment(
        self, features: np.ndarray, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pair (a, b): G = (S_a + S_b)/4 and b = (m_a - m_b)/2 from class Grams and sums."""
        grams, sums = [], []
        for label in range(self.n_classes):
            rows = features[target == label]
            gram, total = self._products(rows, np.ones(rows.shape[0]))
            grams.append(gram)
            sums.append(total)
        gram = np.stack([grams[a] + grams[b] for a, b in self.pairs]) * self.gram_scale
        moment = np.stack([(sums[a] - sums[b]) / 2 for a, b in self.pairs])
        return gram, moment

    def _row_bound(self, clip_norm: float) -> float:
        """A row touches the k - 1 pairs of its class: sqrt((k - 1)(u²/16 + u/4))."""
        u = clip_norm**2 + float(self.fit_intercept)
        return math.sqrt((self.n_classes - 1) * (u * u / 16 + u / 4))

    def plaintext_gradient(self, weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per pair, over that pair's rows: X̃ᵀ(X̃w/4 - (1[y = a] - ½))."""
        weights = np.asarray(weights, dtype=np.float64)
        self._check_weights(weights, "Weights")
        features = self._features(X)
        labels = self._labels(y, features.shape[0])
        design = self._with_intercept(features)
        gradient = np.empty(self.weight_shape)
        for index, (a, b) in enumerate(self.pairs):
            mask = (labels == a) | (labels == b)
            rows = design[mask]
            residual = self.gram_scale * (rows @ weights[index]) - ((labels[mask] == a) - 0.5)
            gradient[index] = rows.T @ residual
        return gradient

    def predict(self, weights: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The class with most pairwise votes; ties go to the larger summed margin."""
        scores = self.decision_function(weights, X)
        votes = np.zeros((scores.shape[0], self.n_classes))
        margins = np.zeros_like(votes)
        for index, (a, b) in enumerate(self.pairs):
            votes[:, a] += scores[:, index] >= 0
            votes[:, b] += scores[:, index] < 0
            margins[:, a] += scores[:, index]
            margins[:, b] -= scores[:, index]
        # Margins only break ties: squashed below one vote.
        return np.argmax(votes + np.arctan(margins) / np.pi, axis=1).astype(np.int64)


ALGORITHMS: dict[str, type[LinearModel]] = {
    model.algorithm: model
    for model in (
        LinearRegression,
        LogisticRegression,
        OneVsRestLogisticRegression,
        OneVsOneLogisticRegression,
    )
}


def model_for(
    algorithm: str, *, n_features: int, n_classes: int | None = None, fit_intercept: bool = True
) -> LinearModel:
    """Build the model a campaign names."""
    if algorithm not in ALGORITHMS:
        known = ", ".join(sorted(ALGORITHMS))
        raise UnknownAlgorithmError(f"Unknown algorithm {algorithm!r}; syft knows {known}.")
    if algorithm in (OneVsRestLogisticRegression.algorithm, OneVsOneLogisticRegression.algorithm):
        if n_classes is None:
            raise InvalidDataError(f"Algorithm {algorithm!r} needs n_classes.")
        return ALGORITHMS[algorithm](  # type: ignore[call-arg]
            n_features=n_features, n_classes=n_classes, fit_intercept=fit_intercept
        )
    if algorithm == LogisticRegression.algorithm and n_classes not in (None, 2):
        raise SyftError(
            f"Logistic regression is binary; for {n_classes} classes use "
            f"'{OneVsOneLogisticRegression.algorithm}' or "
            f"'{OneVsRestLogisticRegression.algorithm}'."
        )
    if algorithm == LinearRegression.algorithm and n_classes is not None:
        raise SyftError("Linear regression predicts a number; it takes no n_classes.")
    return ALGORITHMS[algorithm](n_features=n_features, fit_intercept=fit_intercept)
