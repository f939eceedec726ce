"""The capsule's own GPG key: it wraps campaign private keys and validation data at rest."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import gnupg
from django.conf import settings

from capsule.errors import KeyUnavailableError

CAPSULE_NAME = "Sonar capsule"
CAPSULE_EMAIL = "capsule@sonar.invalid"
# The agent must not remember the passphrase: every unwrap proves it again, so a changed or
# wrong CAPSULE_PASSPHRASE fails at once instead of working until a cache expires.
_AGENT_CONF = "default-cache-ttl 0\nmax-cache-ttl 0\n"
_LOCK_NAME = ".sonar-capsule-keygen.lock"

_lock = threading.Lock()
_gpg_by_home: dict[Path, gnupg.GPG] = {}
_fingerprint_by_home: dict[Path, str] = {}


def _home() -> Path:
    # Read at call time, not import time: operators (and tests) may point it elsewhere.
    if settings.CAPSULE_GNUPGHOME is None:
        # Only capsule processes hold the capsule's GPG home (settings.SONAR_ROLES).
        raise KeyUnavailableError(
            "This process does not have the capsule role (SONAR_ROLES="
            f"{','.join(sorted(settings.SONAR_ROLES))}), so it holds no capsule secret; this "
            "work belongs on a capsule worker (celery worker -Q capsule with SONAR_ROLES=capsule)."
        )
    return Path(settings.CAPSULE_GNUPGHOME)


def _gpg(home: Path) -> gnupg.GPG:
    with _lock:
        gpg = _gpg_by_home.get(home)
        if gpg is None:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            conf = home / "gpg-agent.conf"
            if not conf.exists():
                conf.write_text(_AGENT_CONF)
            gpg = _gpg_by_home[home] = gnupg.GPG(gnupghome=str(home))
        return gpg


def _find_capsule_key(gpg: gnupg.GPG) -> str | None:
    """The fingerprint of the oldest capsule secret key in the home, if any."""
    keys = [
        key
        for key in gpg.list_keys(secret=True)
        if any(f"<{CAPSULE_EMAIL}>" in uid for uid in key.get("uids", []))
    ]
    if not keys:
        return None
    return min(keys, key=lambda key: int(key.get("date") or 0))["fingerprint"]


def capsule_key_fingerprint() -> str | None:
    """The fingerprint of the capsule's GPG key in CAPSULE_GNUPGHOME, or None if it has none."""
    home = _home()
    if home in _fingerprint_by_home:
        return _fingerprint_by_home[home]
    fingerprint = _find_capsule_key(_gpg(home))
    if fingerprint:
        _fingerprint_by_home[home] = fingerprint
    return fingerprint


def capsule_key_create() -> str:
    """Make the capsule's GPG key (a fast Curve25519 pair) unless the home already holds one."""
    home = _home()
    gpg = _gpg(home)
    # Two worker processes on one machine may both see an empty home; the file lock makes
    # the second one find the first one's key instead of making a rival key.
    with (home / _LOCK_NAME).open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        fingerprint = _find_capsule_key(gpg)
        if fingerprint is None:
            params = gpg.gen_key_input(
                key_type="EDDSA",
                key_curve="ed25519",
                key_usage="sign",
                subkey_type="ECDH",
                subkey_curve="cv25519",
                subkey_usage="encrypt",
                name_real=CAPSULE_NAME,
                name_email=CAPSULE_EMAIL,
                expire_date=0,
                passphrase=settings.CAPSULE_PASSPHRASE,
            )
            result = gpg.gen_key(params)
            if not result.fingerprint:
                raise KeyUnavailableError(
                    f"gpg could not make the capsule's key in CAPSULE_GNUPGHOME ({home}): "
                    f"{result.status or 'no reason given'}. Check that the directory is "
                    "writable and that gpg-agent can start there."
                )
            fingerprint = result.fingerprint
    _fingerprint_by_home[home] = fingerprint
    return fingerprint


def secret_wrap(*, data: bytes, recipient: str, what: str, armor: bool = False) -> bytes:
    """Encrypt data to the capsule's GPG key `recipient`."""
    home = _home()
    result = _gpg(home).encrypt(data, recipient, armor=armor, always_trust=True)
    if not result.ok:
        _fingerprint_by_home.pop(home, None)
        raise KeyUnavailableError(
            f"{what} could not be encrypted to the capsule's GPG key {recipient} in "
            f"CAPSULE_GNUPGHOME ({home}): {result.status or 'gpg gave no reason'}."
        )
    return bytes(result.data)


def secret_unwrap(*, wrapped: bytes, recipient: str, what: str) -> bytes:
    """Decrypt data wrapped by `secret_wrap`; each failure is its own clear KeyUnavailableError."""
    home = _home()
    if not wrapped:
        raise KeyUnavailableError(f"{what} is not stored: there is nothing to unwrap.")
    result = _gpg(home).decrypt(wrapped, passphrase=settings.CAPSULE_PASSPHRASE)
    if result.ok:
        return bytes(result.data)
    status = (result.status or "").lower()
    stderr = result.stderr or ""
    # gpg reports a wrong passphrase as a failed decryption; only stderr tells them apart.
    if "Bad passphrase" in stderr:
        raise KeyUnavailableError(
            f"{what} could not be unwrapped: the capsule's GPG key {recipient} refused "
            "CAPSULE_PASSPHRASE. Set CAPSULE_PASSPHRASE to the passphrase the key was made with."
        )
    if status == "no secret key" or "NO_SECKEY" in stderr:
        raise KeyUnavailableError(
            f"{what} is wrapped to the capsule's GPG key {recipient}, which is not in "
            f"CAPSULE_GNUPGHOME ({home}). Restore that directory from the capsule's backup; "
            "without the key it cannot be opened."
        )
    raise KeyUnavailableError(
        f"{what} could not be unwrapped: the stored ciphertext is corrupted "
        f"(gpg: {result.status or 'unreadable data'}). Restore it from a database backup."
    )


def capsule_key_export(fingerprint: str) -> str:
    """The armored public half of the capsule's GPG key, for others to encrypt to."""
    armored = _gpg(_home()).export_keys(fingerprint)
    if not armored:
        raise KeyUnavailableError(
            f"The capsule's GPG key {fingerprint} is not in CAPSULE_GNUPGHOME ({_home()})."
        )
    return armored


def public_wrap(*, data: bytes, armored_public_key: str, fingerprint: str, what: str) -> bytes:
    """Encrypt data to the capsule's published public key; any process may, none can undo it.

    The keyring used here (CAPSULE_PUBLIC_GNUPGHOME) holds public keys only.
    """
    home = Path(settings.CAPSULE_PUBLIC_GNUPGHOME)
    gpg = _gpg(home)
    if not any(key["fingerprint"] == fingerprint for key in gpg.list_keys()):
        imported = gpg.import_keys(armored_public_key)
        if fingerprint not in (imported.fingerprints or []):
            raise KeyUnavailableError(
                f"The capsule's published public key {fingerprint} could not be imported "
                f"({imported.summary() or 'gpg gave no reason'}); a capsule worker republishes "
                "it when it starts."
            )
    result = gpg.encrypt(data, fingerprint, armor=False, always_trust=True)
    if not result.ok:
        raise KeyUnavailableError(
            f"{what} could not be encrypted to the capsule's public key {fingerprint}: "
            f"{result.status or 'gpg gave no reason'}."
        )
    return bytes(result.data)
