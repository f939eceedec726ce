"""A new password ends the person's API tokens (others' live on); signing out of the site
ends the browser session only, so mines running elsewhere on a token keep working."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke_all
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase 42"


def _token_works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/me/").status_code == 200


def test_changing_the_password_on_the_page_ends_the_old_token(client, alice, bob):
    alices, bobs = token_issue(user=alice).key, token_issue(user=bob).key
    client.force_login(alice)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not _token_works(alices)
    assert _token_works(bobs)


def test_a_failed_password_change_keeps_the_token(client, alice):
    key = token_issue(user=alice).key
    client.force_login(alice)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert _token_works(key)


def test_signing_out_of_the_site_keeps_the_tokens_mines_run_on(client, alice):
    key = token_issue(user=alice, name="home mine").key
    client.force_login(alice)
    assert client.post("/accounts/logout/").status_code == 302
    assert _token_works(key)
    # Revoking is a deliberate act: on the API tokens page, or by changing the password.
    assert token_revoke_all(user=alice) == 1
    assert not _token_works(key)


def test_after_revocation_the_password_trades_for_a_new_token(api, alice):
    old = token_issue(user=alice).key
    assert token_revoke_all(user=alice) == 1
    response = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"] != old
    assert ApiToken.objects.filter(user=alice).count() == 1


def test_a_password_the_operator_sets_in_the_admin_ends_the_token(client, operator, alice, bob):
    alices, bobs = token_issue(user=alice).key, token_issue(user=bob).key
    client.force_login(operator)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not _token_works(alices)
    assert _token_works(bobs)


def test_a_refused_admin_password_change_keeps_the_token(client, operator, alice):
    key = token_issue(user=alice).key
    client.force_login(operator)
    response = client.post(
        f"/admin/auth/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": "something else", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert _token_works(key)
