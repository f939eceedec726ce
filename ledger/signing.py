"""The platform's OpenPGP signing key (made on first use under GNUPGHOME) and its signatures."""

from __future__ import annotations

import fcntl
from pathlib import Path

import gnupg
from django.conf import settings

from ledger.errors import LedgerError
from openmined.env import env_str

PLATFORM_KEY_NAME = "OpenMined Sonar ledger"
PLATFORM_KEY_EMAIL = "ledger@sonar.invalid"


def _home() -> Path:
    home = Path(settings.GNUPGHOME)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


def _gpg() -> gnupg.GPG:
    return gnupg.GPG(gnupghome=str(_home()))


def _passphrase() -> str | None:
    # Read at use, not import: a passphrase file mounted after start-up still works.
    return env_str("PLATFORM_GPG_PASSPHRASE") or None


def _find_platform_key(gpg: gnupg.GPG) -> str | None:
    for key in gpg.list_keys(secret=True):
        if any(PLATFORM_KEY_EMAIL in uid for uid in key.get("uids", [])):
            return key["fingerprint"]
    return None


def platform_key_fingerprint(*, create: bool = True) -> str | None:
    """The fingerprint of the platform key, generating an Ed25519 key on first use.

    With create=False (verification), a missing key is None rather than a new key.
    """
    gpg = _gpg()
    fingerprint = _find_platform_key(gpg)
    if fingerprint or not create:
        return fingerprint
    # A web process and a worker may start at once: one makes the key, the other waits.
    with (_home() / ".platform-key.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fingerprint = _find_platform_key(gpg)
        if fingerprint:
            return fingerprint
        params: dict = {
            "key_type": "EDDSA",
            "key_curve": "ed25519",
            "key_usage": "sign",
            "name_real": PLATFORM_KEY_NAME,
            "name_email": PLATFORM_KEY_EMAIL,
            "expire_date": 0,
        }
        passphrase = _passphrase()
        if passphrase:
            params["passphrase"] = passphrase
        else:
            params["no_protection"] = True
        result = gpg.gen_key(gpg.gen_key_input(**params))
        if not result.fingerprint:
            raise LedgerError(
                f"gpg could not create the platform signing key in {settings.GNUPGHOME}: "
                f"{result.stderr.strip()[-300:]}"
            )
        return result.fingerprint


def platform_public_key() -> str:
    """The ASCII-armored public half of the platform key."""
    fingerprint = platform_key_fingerprint()
    assert fingerprint is not None
    armored = _gpg().export_keys(fingerprint)
    if "BEGIN PGP PUBLIC KEY BLOCK" not in armored:
        raise LedgerError(f"gpg could not export the platform key {fingerprint}.")
    return armored


def platform_sign(data: bytes) -> tuple[str, str]:
    """A detached ASCII-armored signature of data, and the signing key's fingerprint."""
    fingerprint = platform_key_fingerprint()
    assert fingerprint is not None
    signed = _gpg().sign(
        data,
        keyid=fingerprint,
        detach=True,
        passphrase=_passphrase(),
        extra_args=["--no-tty", "--digest-algo", "SHA256"],
    )
    if not signed.data:
        raise LedgerError(
            f"gpg could not sign with the platform key {fingerprint}. If the key was made with "
            "a passphrase, set PLATFORM_GPG_PASSPHRASE to it."
        )
    return str(signed), fingerprint
