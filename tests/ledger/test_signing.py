"""The platform's signing key: made on first use, optionally under a passphrase."""

from __future__ import annotations

import subprocess

import pytest

from ledger.errors import LedgerError
from ledger.openpgp import SignatureChecker
from ledger.signing import platform_key_fingerprint, platform_public_key, platform_sign


@pytest.fixture
def fresh_home(tmp_path, settings):
    home = tmp_path / "gnupg"
    settings.GNUPGHOME = home
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True)


def forget_cached_passphrase(home) -> None:
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], capture_output=True)


def test_the_key_is_made_once_and_reused(fresh_home):
    assert platform_key_fingerprint(create=False) is None
    first = platform_key_fingerprint()
    assert platform_key_fingerprint() == first
    assert "BEGIN PGP PUBLIC KEY BLOCK" in platform_public_key()
    assert (fresh_home.stat().st_mode & 0o777) == 0o700


def test_a_passphrase_protected_key_signs_only_with_its_passphrase(fresh_home, monkeypatch):
    monkeypatch.setenv("PLATFORM_GPG_PASSPHRASE", "correct horse battery staple")
    platform_key_fingerprint()
    forget_cached_passphrase(fresh_home)
    signature, _ = platform_sign(b"checkpoint")
    with SignatureChecker(platform_public_key()) as checker:
        assert checker.valid(b"checkpoint", signature)
    forget_cached_passphrase(fresh_home)
    monkeypatch.setenv("PLATFORM_GPG_PASSPHRASE", "wrong")
    with pytest.raises(LedgerError, match="set PLATFORM_GPG_PASSPHRASE"):
        platform_sign(b"checkpoint")
    # Nothing on disk reveals the secret key without the passphrase.
    exported = subprocess.run(
        ["gpg", "--batch", "--homedir", str(fresh_home), "--pinentry-mode", "loopback",
         "--passphrase", "", "--armor", "--export-secret-keys"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert "PRIVATE KEY BLOCK" not in exported.stdout


def test_a_signature_by_another_key_is_not_valid(fresh_home, tmp_path):
    signature, _ = platform_sign(b"statement")
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--batch", "--homedir", str(other), "--passphrase", "", "--quick-generate-key",
         "Mallory <mallory@example.org>", "ed25519", "sign", "never"],
        check=True, capture_output=True,
    )  # fmt: skip
    mallory_key = subprocess.run(
        ["gpg", "--homedir", str(other), "--armor", "--export"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    subprocess.run(["gpgconf", "--homedir", str(other), "--kill", "gpg-agent"], capture_output=True)
    with SignatureChecker(mallory_key) as checker:
        assert not checker.valid(b"statement", signature)
