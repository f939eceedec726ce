"""OpenPGP through the gpg binary (python-gnupg): inspect a public key, encrypt to one."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gnupg

MAX_ARMORED_KEY_CHARS = 64_000


class PgpKeyError(ValueError):
    """The text given is not a usable OpenPGP public key."""


@dataclass(frozen=True)
class PgpKey:
    """A checked public key: its fingerprint and the first user id."""

    fingerprint: str
    user_id: str


def _scratch_gpg(home: str) -> gnupg.GPG:
    return gnupg.GPG(gnupghome=home)


def pgp_key_inspect(*, armored: str) -> PgpKey:
    """Import the key into a throw-away keyring and return its fingerprint, or raise PgpKeyError."""
    text = armored.strip()
    if not text:
        raise PgpKeyError("The PGP key is empty; paste an ASCII-armored public key.")
    if len(text) > MAX_ARMORED_KEY_CHARS:
        raise PgpKeyError(
            f"The PGP key is {len(text)} characters long; "
            f"at most {MAX_ARMORED_KEY_CHARS} are accepted."
        )
    if "PRIVATE KEY BLOCK" in text:
        raise PgpKeyError(
            "This is a private key. Never share it: paste the public key "
            "(gpg --armor --export YOUR_EMAIL)."
        )
    if "BEGIN PGP PUBLIC KEY BLOCK" not in text:
        raise PgpKeyError(
            "This is not an ASCII-armored PGP public key: it must start with "
            "'-----BEGIN PGP PUBLIC KEY BLOCK-----' (gpg --armor --export YOUR_EMAIL)."
        )
    with tempfile.TemporaryDirectory(prefix="sonar-pgp-") as home:
        gpg = _scratch_gpg(home)
        result = gpg.import_keys(text)
        fingerprints = [fp for fp in result.fingerprints if fp]
        if not fingerprints:
            raise PgpKeyError(
                "gpg could not read a public key from this text; check that it was copied whole."
            )
        if len(set(fingerprints)) > 1:
            raise PgpKeyError("This text holds several keys; paste exactly one public key.")
        keys = gpg.list_keys()
        encrypt_capable = [k for k in keys if "e" in k.get("cap", "").lower()]
        if not encrypt_capable:
            raise PgpKeyError(
                "This key cannot encrypt (it has no encryption subkey); models could not be "
                "delivered to it."
            )
        uids = keys[0].get("uids") or [""]
        return PgpKey(fingerprint=fingerprints[0], user_id=uids[0])


def pgp_encrypt_to(*, armored_key: str, data: bytes) -> bytes:
    """Encrypt data to one public key and return the ASCII-armored message."""
    with tempfile.TemporaryDirectory(prefix="sonar-pgp-") as home:
        gpg = _scratch_gpg(home)
        imported = gpg.import_keys(armored_key)
        if not imported.fingerprints:
            raise PgpKeyError("The recipient's PGP key could not be imported.")
        result = gpg.encrypt(
            data, imported.fingerprints[0], armor=True, always_trust=True, extra_args=["--no-tty"]
        )
        if not result.ok:
            raise PgpKeyError(f"gpg could not encrypt to the recipient's key: {result.status}.")
        return bytes(result.data)
