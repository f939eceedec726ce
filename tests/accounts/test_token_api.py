"""Trading a password for a token, and using it."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_issue
from tests.conftest import PASSWORD


def test_it_trades_username_and_password_for_a_token(api, alice):
    response = api.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    secret = response.json()["token"]
    stored = ApiToken.objects.get(user=alice)
    assert stored.name == "password login"
    assert secret not in stored.key_sha256  # only the hash is kept
    assert stored.key_sha256 == hashlib.sha256(secret.encode()).hexdigest()


def test_the_token_authenticates_api_calls(api, alice):
    token = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json()[
        "token"
    ]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["roles"] == ["data scientist"]


def test_a_wrong_password_gets_401_in_the_error_shape_and_no_token(api, alice):
    response = api.post(
        "/api/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "authentication_failed",
        "detail": "Unable to log in with this username and password.",
    }
    assert not ApiToken.objects.filter(user=alice).exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(api, db):
    response = api.post("/api/auth/token/", {"username": "nobody", "password": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_a_missing_field_is_named_in_the_error(api, db):
    response = api.post("/api/auth/token/", {"username": "alice"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert "password" in body["detail"]


def test_malformed_json_gets_a_400_invalid_json(api, db):
    response = api.post(
        "/api/auth/token/", data='{"username": "alice",', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_a_wrong_content_type_gets_415(api, db):
    response = api.post("/api/auth/token/", data="username=alice", content_type="text/csv")
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert "text/csv" in response.json()["detail"]


def test_a_missing_token_gets_401_with_the_error_shape(api, db):
    response = api.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_bogus_token_is_refused(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = api.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_failed"


def test_an_expired_token_is_refused_and_a_new_login_replaces_it(api, alice, settings):
    old = token_issue(user=alice)
    ApiToken.objects.filter(pk=old.token.pk).update(
        created_at=timezone.now() - timedelta(days=40), expires_at=timezone.now()
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {old.key}")
    refused = api.get("/api/me/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]

    api.credentials()
    fresh = api.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json()[
        "token"
    ]
    assert fresh != old.key
    api.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert api.get("/api/me/").status_code == 200


def test_an_unknown_api_path_answers_json_404(api, db):
    response = api.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_session_auth_works_for_the_api(client, alice):
    assert client.login(username="alice", password=PASSWORD)
    assert client.get("/api/me/").json()["username"] == "alice"
