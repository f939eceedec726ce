"""Every way the capsule refuses: sentences that name the campaign, never key material."""

from __future__ import annotations


class CapsuleError(Exception):
    """Base class of every error the capsule raises on purpose."""


class ValidationDataError(CapsuleError):
    """A campaign's validation data is missing, unreadable or does not match its schema."""


class KeyUnavailableError(CapsuleError):
    """A campaign's private key cannot be used: absent, retired, corrupted or locked away."""


class ModelBlobError(CapsuleError):
    """An encrypted model blob is missing, altered, of the wrong shape or under another key."""


class DeliveryError(CapsuleError):
    """The final model cannot be packaged or delivered to its owner."""
