"""The client's methods for what everyone may read: the public ledger and statistics;
and the profile's PGP key."""

from __future__ import annotations

from typing import Any


class PublicMethods:
    """Mixed into SonarClient; uses its transport (_get, _send, _json)."""

    def me_update(self, *, pgp_public_key: str) -> dict[str, Any]:
        """Set (or, with "", remove) the OpenPGP key final models are encrypted to."""
        response = self._send("PATCH", "api/me/", json={"pgp_public_key": pgp_public_key})
        return self._json(response)

    def stats(self) -> dict[str, Any]:
        """The platform's public statistics."""
        return self._get("api/stats/")

    def ledger_entries(self, *, after: int = 0, limit: int = 100) -> dict[str, Any]:
        """Ledger entries after a seq: {"entries", "next_after", "size"}."""
        return self._get("api/ledger/entries/", after=int(after), limit=int(limit))

    def ledger_entry(self, seq: int) -> dict[str, Any]:
        """One ledger entry, exactly as hashed."""
        return self._get(f"api/ledger/entries/{int(seq)}/")

    def ledger_checkpoints(self, *, after: int = 0) -> dict[str, Any]:
        """Signed checkpoints after a tree size: {"checkpoints", "next_after"}."""
        return self._get("api/ledger/checkpoints/", after=int(after))

    def ledger_checkpoint_latest(self) -> dict[str, Any]:
        """The newest signed Merkle tree head."""
        return self._get("api/ledger/checkpoints/latest/")

    def ledger_inclusion_proof(self, *, seq: int, size: int) -> dict[str, Any]:
        """Proof that entry `seq` is in the tree of `size` entries."""
        return self._get("api/ledger/proofs/inclusion/", seq=int(seq), size=int(size))

    def ledger_consistency_proof(self, *, first: int, second: int) -> dict[str, Any]:
        """Proof that the tree of `first` entries is a prefix of the tree of `second`."""
        return self._get("api/ledger/proofs/consistency/", first=int(first), second=int(second))

    def ledger_key(self) -> dict[str, Any]:
        """The platform's OpenPGP public key, which signs the checkpoints."""
        return self._get("api/ledger/key/")
