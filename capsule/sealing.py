"""Sealing a delivered model so that web processes can serve it without any capsule secret.

A plain artifact (its owner registered no PGP key) holds the model in clear. It is sealed with
AES-GCM under a key derived from SECRET_KEY, which every process of the platform has, so the web
can hand it to its owner while the database alone does not reveal it. Owners who want the model
readable by nobody but themselves register a PGP key; their artifact is then stored as delivered.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from capsule.errors import DeliveryError

_NONCE_BYTES = 12
_INFO = b"sonar delivered-model seal v1"


def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        settings.SECRET_KEY.encode()
    )


def seal(data: bytes, *, campaign_id: int) -> bytes:
    """nonce ‖ AES-GCM(data), bound to the campaign so rows cannot be swapped."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key()).encrypt(nonce, data, str(campaign_id).encode())


def unseal(sealed: bytes, *, campaign_id: int) -> bytes:
    """The artifact `seal` sealed; a clear error if SECRET_KEY changed or the row was altered."""
    from cryptography.exceptions import InvalidTag

    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return AESGCM(_key()).decrypt(nonce, body, str(campaign_id).encode())
    except InvalidTag:
        raise DeliveryError(
            f"The delivered model of campaign {campaign_id} cannot be opened: SECRET_KEY changed "
            "since delivery, or the stored row was altered. Restore the old SECRET_KEY (or the "
            "row from a backup)."
        ) from None
