"""The final model as a file its owner can open anywhere: a zip of model.json and weights.npz."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile

import numpy as np

from adapters.schema import Schema
from capsule.errors import DeliveryError

ARTIFACT_FORMAT = "sonar.model/1"
# A fixed timestamp makes the zip a pure function of its contents.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def artifact_build(
    *,
    campaign_id: int,
    metadata: dict,
    algorithm: str,
    n_features: int,
    n_classes: int | None,
    fit_intercept: bool,
    input_schema: list[dict],
    output_schema: list[dict],
    accuracy: float,
    weights: np.ndarray,
    key_fingerprint: str,
    source_blob: str,
    preprocessing: dict | None = None,
) -> bytes:
    """The zip bytes of a delivered model."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    features = Schema.from_json(input_schema).column_names()
    columns = features + ["(intercept)"] * fit_intercept
    buffer = io.BytesIO()
    np.savez(buffer, weights=weights)
    description = {
        "format": ARTIFACT_FORMAT,
        "campaign": campaign_id,
        "metadata": metadata,
        "algorithm": algorithm,
        "n_features": n_features,
        "n_classes": n_classes,
        "fit_intercept": fit_intercept,
        "input_schema": input_schema,
        "output_schema": output_schema,
        "accuracy": accuracy,
        "weights": {
            "file": "weights.npz",
            "array": "weights",
            "shape": list(weights.shape),
            "dtype": "float64",
            "sha256": hashlib.sha256(weights.tobytes()).hexdigest(),
            # One row per output (class, or pair of classes); these name the columns.
            "columns": columns,
        },
        "prediction": prediction_spec(
            algorithm=algorithm,
            n_classes=n_classes,
            fit_intercept=fit_intercept,
            features=features,
            output_schema=output_schema,
            preprocessing=preprocessing,
        ),
        "paillier_key_fingerprint": key_fingerprint,
        "encrypted_weights_blob": source_blob,
    }
    try:
        model_json = json.dumps(description, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise DeliveryError(
            f"The metadata of campaign {campaign_id}'s final model cannot be written as JSON: "
            f"{exc}."
        ) from None
    archive_bytes = io.BytesIO()
    with zipfile.ZipFile(archive_bytes, "w") as archive:
        _entry(archive, "model.json", model_json.encode("utf-8") + b"\n")
        _entry(archive, "weights.npz", buffer.getvalue())
    return archive_bytes.getvalue()


_RULES = {
    "linear_regression": (
        "identity",
        "The prediction is the score z = [features, 1] · weights[0] (the number itself).",
    ),
    "logistic_regression": (
        "sign",
        "Class classes[1] when z = [features, 1] · weights[0] >= 0, else classes[0]; "
        "the probability of classes[1] is 1 / (1 + exp(-z)).",
    ),
    "logistic_regression_ovr": (
        "argmax",
        "One score per class, z[c] = [features, 1] · weights[c]; the class with the highest "
        "score wins (the first on a tie).",
    ),
    "logistic_regression_ovo": (
        "vote",
        "One score per pair, z[p] = [features, 1] · weights[p] for pairs[p] = (a, b): z >= 0 is "
        "a vote for a, z < 0 a vote for b. The class with the most votes wins; a tie goes to "
        "the class with the larger votes + arctan(margin) / pi, where a class's margin is the "
        "sum of z over its pairs as a minus the sum of z over its pairs as b.",
    ),
}


def _classes(output_schema: list[dict]) -> list | None:
    field = output_schema[0] if output_schema else {}
    if field.get("type") == "bool":
        return [False, True]
    if field.get("type") == "category":
        return list(field.get("categories") or [])
    return None


def prediction_spec(
    *,
    algorithm: str,
    n_classes: int | None,
    fit_intercept: bool,
    features: list[str],
    output_schema: list[dict],
    preprocessing: dict | None,
) -> dict:
    """Everything needed to predict with the weights, without reading Sonar's source."""
    rule, explanation = _RULES.get(algorithm, ("unknown", f"Algorithm {algorithm!r}."))
    spec = {
        "features": features,
        "featurization": (
            "Rows are turned into the features above from input_schema, in its order: float "
            "and int as they are, bool as 1/0, a category as one column per category (1 for "
            "the row's category), text hashed into hash_features columns."
        ),
        "preprocessing": preprocessing
        or {
            "kind": "none",
            "detail": "The features are used as they are; no centring or scaling was agreed.",
        },
        "intercept": fit_intercept,
        "score": (
            "z = features · w (plus w[-1], the intercept, when intercept is true), for each row "
            "w of the weights"
        ),
        "rule": rule,
        "rule_detail": explanation,
        "output_field": output_schema[0].get("name") if output_schema else None,
        "classes": _classes(output_schema),
    }
    if algorithm == "logistic_regression_ovo" and n_classes:
        spec["pairs"] = [list(pair) for pair in itertools.combinations(range(n_classes), 2)]
    return spec
