"""What can go wrong in the ledger, as exceptions whose message is a sentence for a person."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every ledger error."""


class LedgerUsageError(LedgerError):
    """The ledger was called the wrong way (e.g. outside a transaction)."""


class InsufficientFundsError(LedgerError):
    """A transfer would take an account below zero."""


class BalanceForgedError(LedgerError):
    """An account's stored balance is not the sum of its transfers: nothing may be spent from it."""


class IdempotencyConflictError(LedgerError):
    """An idempotency key was reused for a different transfer."""


class BlobTooLargeError(LedgerError):
    """A blob is over settings.BLOB_MAX_BYTES."""


class BlobNotFoundError(LedgerError):
    """No blob is stored at that address."""


class BlobIntegrityError(LedgerError):
    """The stored bytes no longer hash to their address."""


class ChainBrokenError(LedgerError):
    """Verification found an entry, transfer or checkpoint that does not add up."""

    def __init__(self, message: str, *, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq
