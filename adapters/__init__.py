"""External data → schema-conformant numeric features: schemas, readers, schema inference.

A pure library (no Django): mines import it, and so can anyone who prepares data elsewhere.
"""

from adapters.inference import schema_infer_csv
from adapters.readers import (
    ADAPTERS,
    BAD_ROWS_KEPT,
    Adapter,
    AdapterError,
    AdapterRowsError,
    BadRow,
    Table,
    bad_rows_collect,
    read_table,
)
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
    "BAD_ROWS_KEPT",
    "FIELD_TYPES",
    "Adapter",
    "AdapterError",
    "AdapterRowsError",
    "BadRow",
    "Field",
    "Schema",
    "SchemaError",
    "Table",
    "bad_rows_collect",
    "output_task",
    "read_table",
    "schema_infer_csv",
    "target_encode",
    "text_hash",
]
