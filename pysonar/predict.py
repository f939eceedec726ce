"""Use a delivered model: read its zip (model.json + weights.npz) and predict as Sonar scores.

from pysonar import model_load, predict
model = model_load(open("model.zip", "rb").read())
predict(model, [{"age": 0.03, "bmi": 0.06, ...}])      # rows as the input schema names them
predict(model, X)                                        # or an already featurized matrix
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.schema import Schema

__all__ = ["DeliveredModel", "model_load", "predict", "scores"]


@dataclass(frozen=True)
class DeliveredModel:
    """A campaign's final model: its description (model.json) and its float64 weights."""

    description: dict[str, Any]
    weights: np.ndarray

    @property
    def spec(self) -> dict[str, Any]:
        return self.description["prediction"]


def model_load(source: bytes | str | Path) -> DeliveredModel:
    """Read the zip Sonar delivers (decrypt it first with gpg if it is PGP-armored)."""
    data = Path(source).read_bytes() if isinstance(source, str | Path) else bytes(source)
    if data.startswith(b"-----BEGIN PGP MESSAGE"):
        raise ValueError(
            "This model is PGP-encrypted to your key; decrypt it first: "
            "gpg --decrypt model.zip.asc > model.zip"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            description = json.loads(archive.read("model.json"))
            stored = description["weights"]
            with np.load(io.BytesIO(archive.read(stored["file"])), allow_pickle=False) as npz:
                weights = np.asarray(npz[stored["array"]], dtype=np.float64)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(
            f"This is not a Sonar model zip with model.json and weights: {exc}"
        ) from None
    if hashlib.sha256(np.ascontiguousarray(weights).tobytes()).hexdigest() != stored["sha256"]:
        raise ValueError(
            "weights.npz does not match the sha256 in model.json; the file is damaged."
        )
    if "prediction" not in description:
        raise ValueError(
            "This model.json predates the 'prediction' section; ask the operator to redeliver it."
        )
    return DeliveredModel(description=description, weights=weights)


def _features(model: DeliveredModel, rows: Any) -> np.ndarray:
    spec = model.spec
    if len(rows) and isinstance(rows[0], Mapping):
        matrix = Schema.from_json(model.description["input_schema"]).featurize(
            list(rows)  # type: ignore[arg-type]
        )
    else:
        matrix = np.asarray(rows, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(spec["features"]):
        raise ValueError(
            f"Rows have shape {matrix.shape}; this model takes {len(spec['features'])} features "
            f"({', '.join(spec['features'][:5])}{', ...' if len(spec['features']) > 5 else ''})."
        )
    preprocessing = spec.get("preprocessing") or {"kind": "none"}
    if preprocessing.get("kind") == "standardize":
        centre = np.asarray(preprocessing["centre"], dtype=np.float64)
        scale = np.asarray(preprocessing["scale"], dtype=np.float64)
        matrix = (matrix - centre) / scale
    elif preprocessing.get("kind") != "none":
        raise ValueError(f"Unknown preprocessing {preprocessing.get('kind')!r} in model.json.")
    if spec["intercept"]:
        matrix = np.hstack([matrix, np.ones((matrix.shape[0], 1))])
    return matrix


def scores(model: DeliveredModel, rows: Sequence[Mapping[str, Any]] | np.ndarray) -> np.ndarray:
    """The linear scores z, shape (n, rows of weights): before the prediction rule."""
    weights = model.weights.reshape(-1, model.weights.shape[-1])
    return _features(model, rows) @ weights.T


def _class_indices(model: DeliveredModel, z: np.ndarray) -> np.ndarray:
    spec = model.spec
    rule = spec["rule"]
    if rule == "sign":
        return (z[:, 0] >= 0).astype(np.int64)
    if rule == "argmax":
        return np.argmax(z, axis=1).astype(np.int64)
    if rule == "vote":
        n_classes = len(spec["classes"])
        votes = np.zeros((z.shape[0], n_classes))
        margins = np.zeros_like(votes)
        for index, (a, b) in enumerate(spec["pairs"]):
            votes[:, a] += z[:, index] >= 0
            votes[:, b] += z[:, index] < 0
            margins[:, a] += z[:, index]
            margins[:, b] -= z[:, index]
        return np.argmax(votes + np.arctan(margins) / np.pi, axis=1).astype(np.int64)
    raise ValueError(f"Unknown prediction rule {rule!r} in model.json.")


def predict(
    model: DeliveredModel, rows: Sequence[Mapping[str, Any]] | np.ndarray, *, labels: bool = True
) -> np.ndarray | list:
    """Predictions for rows (dicts named as the input schema, or featurized numbers).

    Regression gives numbers; classification gives the output's own values (True/False, the
    category names), or with labels=False the class indices 0..k-1 Sonar scores with.
    """
    z = scores(model, rows)
    if model.spec["rule"] == "identity":
        return z[:, 0]
    indices = _class_indices(model, z)
    if not labels:
        return indices
    classes = model.spec["classes"]
    return [classes[i] for i in indices]
