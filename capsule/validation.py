"""Reading a campaign's validation file into the matrices the capsule scores models on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adapters.readers import AdapterError, read_table
from adapters.schema import Schema, SchemaError, output_task
from capsule.errors import ValidationDataError


@dataclass(frozen=True)
class ValidationTable:
    """Features and targets of a validation set, ready for syft's model.score."""

    features: np.ndarray
    target: np.ndarray
    task: str
    columns: list[str]

    @property
    def n_rows(self) -> int:
        """Number of validation rows."""
        return int(self.features.shape[0])

    @property
    def n_features(self) -> int:
        """Width of the feature matrix (featurized columns, before any intercept)."""
        return int(self.features.shape[1])


def _schema(campaign_id: int, data: object, which: str) -> Schema:
    try:
        return Schema.from_json(data)
    except SchemaError as exc:
        raise ValidationDataError(
            f"The {which} schema of campaign {campaign_id} is invalid: {exc}"
        ) from None


def validation_table_read(
    *,
    campaign_id: int,
    input_schema: list[dict],
    output_schema: list[dict],
    data: bytes,
    adapter: str,
) -> ValidationTable:
    """Parse and check a validation file against the campaign's schemas, or explain why not."""
    schema = _schema(campaign_id, input_schema, "input")
    output = _schema(campaign_id, output_schema, "output")
    try:
        task, _ = output_task(output)
        # bytes, never str: read_table treats a str as a path on this machine.
        table = read_table(bytes(data), adapter=adapter, schema=schema, output=output)
        features = np.ascontiguousarray(table.features(schema), dtype=np.float64)
        target = table.target(output)
    except (AdapterError, SchemaError) as exc:
        raise ValidationDataError(
            f"The validation data of campaign {campaign_id} does not match its schema: {exc}"
        ) from None
    if not np.all(np.isfinite(features)) or (
        task == "regression" and not np.all(np.isfinite(target))
    ):
        raise ValidationDataError(
            f"The validation data of campaign {campaign_id} holds values that are not finite "
            "numbers (inf or NaN); remove or fix those rows."
        )
    return ValidationTable(
        features=features, target=target, task=task, columns=schema.names + output.names
    )
