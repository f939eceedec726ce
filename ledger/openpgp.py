"""Checking OpenPGP detached signatures against one public key; no Django, for remote verifiers."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gnupg


class SignatureChecker:
    """Verifies detached signatures against one public key, in a throw-away keyring."""

    def __init__(self, public_key: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="sonar-verify-")
        self._gpg = gnupg.GPG(gnupghome=self._dir.name)
        imported = self._gpg.import_keys(public_key)
        fingerprints = [fp for fp in imported.fingerprints if fp]
        if not fingerprints:
            self.close()
            raise ValueError("The public key could not be imported; is it ASCII-armored OpenPGP?")
        self.fingerprint = fingerprints[0]

    def valid(self, data: bytes, signature: str) -> bool:
        """True when signature is a good signature of data by the imported key."""
        sig_path = Path(self._dir.name) / "checkpoint.asc"
        sig_path.write_text(signature, encoding="ascii")
        verified = self._gpg.verify_data(str(sig_path), data)
        return bool(verified.valid) and self.fingerprint in (
            verified.pubkey_fingerprint,
            verified.fingerprint,
        )

    def close(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> SignatureChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
