"""Named API tokens: made, listed, used and revoked over the API and on the API tokens page."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke_all
from tests.conftest import PASSWORD


def test_alice_makes_a_named_token_sees_its_secret_once_and_it_works(api_as, api, alice):
    response = api_as(alice).post(
        "/api/me/tokens/", {"name": "laptop notebook", "expires_in_days": 7}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert body["name"] == "laptop notebook"
    assert body["prefix"] == secret[:8]
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.key_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert timedelta(days=6, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=7)

    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/me/").json()["username"] == "alice"
    listed = api.get("/api/me/tokens/").json()
    assert set(listed) == {"count", "next", "previous", "results"}
    mine = next(t for t in listed["results"] if t["id"] == body["id"])
    assert "token" not in mine  # the secret is never shown again
    assert mine["current"] is True
    assert mine["last_used_at"] is not None


def test_a_token_records_when_it_was_last_used(api, alice):
    issued = token_issue(user=alice, name="script")
    assert issued.token.last_used_at is None
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    api.get("/api/me/")
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


def test_a_revoked_token_stops_working_at_once(api_as, api, alice):
    issued = token_issue(user=alice, name="old laptop")
    response = api_as(alice).delete(f"/api/me/tokens/{issued.token.id}/")
    assert response.status_code == 204
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    refused = api.get("/api/me/")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_mallory_cannot_list_or_revoke_alices_tokens(api_as, alice, mallory):
    issued = token_issue(user=alice, name="alice's")
    listed = api_as(mallory).get("/api/me/tokens/").json()
    assert issued.token.id not in [t["id"] for t in listed["results"]]
    response = api_as(mallory).delete(f"/api/me/tokens/{issued.token.id}/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_anonymous_cannot_make_a_token_and_nothing_is_stored(api, db):
    response = api.post("/api/me/tokens/", {"name": "x"}, format="json")
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_an_expiry_beyond_a_year_or_an_empty_name_is_refused(api_as, alice):
    client = api_as(alice)
    before = ApiToken.objects.count()
    too_long = client.post("/api/me/tokens/", {"name": "x", "expires_in_days": 400}, format="json")
    assert too_long.status_code == 400
    assert "expires_in_days" in too_long.json()["detail"]
    unnamed = client.post("/api/me/tokens/", {"name": ""}, format="json")
    assert unnamed.status_code == 400
    assert ApiToken.objects.count() == before


def test_an_expired_token_is_refused_and_no_longer_listed(api_as, api, alice):
    issued = token_issue(user=alice, name="short")
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert api.get("/api/me/").status_code == 401
    listed = api_as(alice).get("/api/me/tokens/").json()["results"]
    assert issued.token.id not in [t["id"] for t in listed]


def test_revoke_all_ends_every_token_of_that_person_only(api, alice, bob):
    alices = [token_issue(user=alice, name=f"t{i}") for i in range(3)]
    bobs = token_issue(user=bob, name="bob's")
    assert token_revoke_all(user=alice) == 3
    for issued in alices:
        api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
        assert api.get("/api/me/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {bobs.key}")
    assert api.get("/api/me/").status_code == 200


def test_a_token_of_a_deactivated_person_is_refused(api, alice):
    issued = token_issue(user=alice)
    alice.is_active = False
    alice.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert api.get("/api/me/").status_code == 401


def test_a_drf_token_made_before_the_upgrade_keeps_working(api, alice, settings):
    """The data migration hashes every old plaintext token into an ApiToken."""
    from importlib import import_module

    from django.apps import apps
    from rest_framework.authtoken.models import Token

    old = Token.objects.create(user=alice)
    migration = import_module("accounts.migrations.0004_hash_existing_tokens")
    migration.move_tokens(apps, None)
    assert not Token.objects.exists()  # no plaintext secret left at rest
    api.credentials(HTTP_AUTHORIZATION=f"Token {old.key}")
    assert api.get("/api/me/").json()["username"] == "alice"


# --- the page ---------------------------------------------------------------------------------


def test_alice_makes_a_token_on_the_page_and_sees_the_secret_only_then(client, alice):
    assert client.login(username="alice", password=PASSWORD)
    made = client.post("/accounts/profile/tokens/", {"name": "notebook", "expires_in_days": 30})
    assert made.status_code == 200
    token = ApiToken.objects.get(user=alice, name="notebook")
    secret = made.context["created"].key
    assert secret in made.content.decode()
    assert hashlib.sha256(secret.encode()).hexdigest() == token.key_sha256
    again = client.get("/accounts/profile/tokens/").content.decode()
    assert "notebook" in again
    assert secret not in again


def test_alice_revokes_a_token_on_the_page(client, alice):
    issued = token_issue(user=alice, name="stale")
    assert client.login(username="alice", password=PASSWORD)
    response = client.post(f"/accounts/profile/tokens/{issued.token.id}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_mallory_cannot_revoke_alices_token_on_the_page(client, alice, mallory):
    issued = token_issue(user=alice, name="alice's")
    assert client.login(username="mallory", password=PASSWORD)
    response = client.post(f"/accounts/profile/tokens/{issued.token.id}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=issued.token.pk).exists()


def test_the_tokens_page_asks_anonymous_visitors_to_log_in(client, db):
    response = client.get("/accounts/profile/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_logging_in_again_and_again_keeps_only_the_newest_login_tokens(api_as, alice):
    from accounts.services import MAX_TOKENS_PER_NAME

    named = token_issue(user=alice, name="laptop")
    logins = [token_issue(user=alice) for _ in range(MAX_TOKENS_PER_NAME + 5)]
    live = ApiToken.objects.filter(user=alice, name="password login")
    assert live.count() == MAX_TOKENS_PER_NAME
    assert set(live.values_list("pk", flat=True)) == {t.token.pk for t in logins[5:]}
    assert ApiToken.objects.filter(pk=named.token.pk).exists()  # other names are untouched


def test_the_hundred_and_first_named_token_is_refused_with_what_to_do(api_as, alice):
    from accounts.services import MAX_TOKENS_PER_USER, token_create

    client = api_as(alice)  # one login token
    for i in range(MAX_TOKENS_PER_USER - 1):
        token_create(user=alice, name=f"t{i}")
    response = client.post("/api/me/tokens/", {"name": "one more"}, format="json")
    assert response.status_code == 400
    assert "revoke one" in response.json()["detail"]
    assert not ApiToken.objects.filter(name="one more").exists()
