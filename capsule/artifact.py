"""The final model as a file its owner can open anywhere: a zip of model.json and weights.npz."""

from __future__ import annotations

import hashlib
import io
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
) -> bytes:
    """The zip bytes of a delivered model."""
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    columns = Schema.from_json(input_schema).column_names() + ["(intercept)"] * fit_intercept
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
