"""Profiles and PGP keys, by API and by page."""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from accounts.models import Profile
from tests.conftest import PASSWORD


@pytest.fixture(scope="session")
def armored_public_key(pgp_identity) -> str:
    return pgp_identity.public_key


@pytest.fixture(scope="session")
def sign_only_public_key() -> str:
    """A key with no encryption subkey: nothing could be delivered to it."""
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(
            ["gpg", "--batch", "--homedir", home, "--passphrase", "", "--quick-generate-key",
             "Sig Only <sig@example.org>", "rsa2048", "sign", "never"],
            check=True, capture_output=True,
        )  # fmt: skip
        return subprocess.run(
            ["gpg", "--homedir", home, "--armor", "--export", "sig@example.org"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip


def test_alice_sets_a_pgp_key_and_sees_its_fingerprint(
    api_as, alice, armored_public_key, pgp_identity
):
    response = api_as(alice).patch(
        "/api/me/", {"pgp_public_key": armored_public_key}, format="json"
    )
    assert response.status_code == 200
    fingerprint = response.json()["pgp_fingerprint"]
    assert fingerprint == pgp_identity.fingerprint
    assert Profile.objects.get(user=alice).pgp_fingerprint == fingerprint


def test_garbage_instead_of_a_key_is_refused_and_nothing_changes(api_as, alice):
    response = api_as(alice).patch("/api/me/", {"pgp_public_key": "hello"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_pgp_key"
    assert "BEGIN PGP PUBLIC KEY BLOCK" in response.json()["detail"]
    assert Profile.objects.get(user=alice).pgp_public_key == ""


def test_a_corrupted_key_block_is_refused(api_as, alice, armored_public_key):
    lines = armored_public_key.splitlines()
    middle = len(lines) // 2
    lines[middle] = "A" * len(lines[middle])
    response = api_as(alice).patch("/api/me/", {"pgp_public_key": "\n".join(lines)}, format="json")
    assert response.status_code == 400
    assert Profile.objects.get(user=alice).pgp_fingerprint == ""


def test_a_key_that_cannot_encrypt_is_refused(api_as, alice, sign_only_public_key):
    response = api_as(alice).patch(
        "/api/me/", {"pgp_public_key": sign_only_public_key}, format="json"
    )
    assert response.status_code == 400
    assert "cannot encrypt" in response.json()["detail"]


def test_a_private_key_is_refused_with_a_warning(api_as, alice):
    text = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxx\n-----END PGP PRIVATE KEY BLOCK-----"
    response = api_as(alice).patch("/api/me/", {"pgp_public_key": text}, format="json")
    assert response.status_code == 400
    assert "private key" in response.json()["detail"]


def test_the_profile_page_shows_the_error_next_to_the_field(client, alice):
    client.login(username="alice", password=PASSWORD)
    page = client.post("/accounts/profile/", {"pgp_public_key": "not a key"})
    assert page.status_code == 200
    assert "This is not an ASCII-armored PGP public key" in page.content.decode()
    assert Profile.objects.get(user=alice).pgp_public_key == ""


def test_the_profile_page_saves_a_key_and_shows_the_fingerprint(client, alice, armored_public_key):
    client.login(username="alice", password=PASSWORD)
    page = client.post("/accounts/profile/", {"pgp_public_key": armored_public_key}, follow=True)
    fingerprint = Profile.objects.get(user=alice).pgp_fingerprint
    assert fingerprint
    assert fingerprint in page.content.decode()


def test_mallory_sees_only_her_own_profile(api_as, alice, mallory, armored_public_key):
    api_as(alice).patch("/api/me/", {"pgp_public_key": armored_public_key}, format="json")
    body = api_as(mallory).get("/api/me/").json()
    assert body["username"] == "mallory"
    assert armored_public_key.strip() not in str(body)
    assert Profile.objects.get(user=alice).pgp_fingerprint not in str(body)


def test_mallory_cannot_open_the_admin(client, mallory):
    client.login(username="mallory", password=PASSWORD)
    response = client.get("/admin/accounts/profile/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
