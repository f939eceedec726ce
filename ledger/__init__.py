"""The hash-chained, append-only ledger, double-entry money and content-addressed blobs."""
