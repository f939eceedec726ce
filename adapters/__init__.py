"""External data → schema-conformant numeric features: schemas, readers, schema inference.

A pure library (no Django): mines import it, and so can anyone who prepares data elsewhere.
"""

from adapters.inference import schema_infer_csv
from adapters.readers import ADAPTERS, Adapter, AdapterError, Table, read_table
from adapters.schema import (
    FIELD_TYPES,
    Field,
    Schema,
    SchemaError,
    output_task,
    target_encode,
    text_hash,
)

__all__ = [
    "ADAPTERS",
    "FIELD_TYPES",
    "Adapter",
    "AdapterError",
    "Field",
    "Schema",
    "SchemaError",
    "Table",
    "output_task",
    "read_table",
    "schema_infer_csv",
    "target_encode",
    "text_hash",
]
