"""Bodies are bounded per endpoint before parsing, and JSON nesting is bounded, for everyone."""

from __future__ import annotations

import io
import json

import pytest

from accounts.models import ApiToken
from accounts.services import token_authenticate
from tests.conftest import PASSWORD

DEEP = "[" * 1000 + "]" * 1000


def _chunked(client, path: str, body: bytes, content_type: str):
    """A body sent with Transfer-Encoding: chunked, i.e. without a Content-Length."""
    return client.generic(
        "POST",
        path,
        content_type=content_type,
        **{"wsgi.input": io.BytesIO(body), "HTTP_TRANSFER_ENCODING": "chunked"},
    )


def test_a_60_kb_list_of_objects_to_the_token_endpoint_is_refused_unparsed(api, db):
    body = "[" + ",".join(["{}"] * 20_000) + "]"
    response = api.post("/api/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert "16,384 bytes" in response.json()["detail"]


def test_a_100_mb_gradient_body_gets_413_not_500(api_as, bob):
    body = b'{"gradient": "' + b"0" * (100 * 1024 * 1024) + b'"}'
    response = api_as(bob).post(
        "/api/campaigns/1/gradients/", data=body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_a_claimed_huge_content_length_is_refused_before_reading(api, db):
    response = api.post(
        "/api/auth/token/",
        data=b'{"username": "alice"}',
        content_type="application/json",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_a_garbled_content_length_is_a_400_in_the_error_shape(api, db):
    response = api.post(
        "/api/auth/token/", data=b"{}", content_type="application/json", CONTENT_LENGTH="12x"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_content_length"


def test_the_login_page_refuses_a_large_form_with_a_plain_page(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "x" * 100_000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"too large" in response.content


def test_the_admin_login_refuses_a_large_form(client, operator):
    response = client.post("/admin/login/", {"username": "operator", "password": "x" * 100_000})
    assert response.status_code == 413


def test_a_chunked_body_over_the_cap_is_refused_while_reading(api, alice):
    body = json.dumps({"username": "alice", "password": "x" * 20_000}).encode()
    response = _chunked(api, "/api/auth/token/", body, "application/json")
    assert response.status_code == 413
    assert not ApiToken.objects.filter(user=alice).exists()


def test_a_chunked_body_under_the_cap_is_read_as_usual(api, alice):
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    response = _chunked(api, "/api/auth/token/", body, "application/json")
    assert response.status_code == 200
    assert token_authenticate(key=response.json()["token"]).user == alice


def test_other_endpoints_keep_the_general_cap(api_as, alice, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1000
    response = api_as(alice).post(
        "/api/campaigns/", data="x" * 1001, content_type="application/json"
    )
    assert response.status_code == 413
    assert "1,000 bytes" in response.json()["detail"]


def test_anonymous_deep_nesting_gets_a_400_invalid_json(api, db):
    response = api.post("/api/auth/token/", data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert "32 levels" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/campaigns/", "/api/campaigns/1/gradients/", "/api/auth/token/"]
)
def test_deep_nesting_gets_a_400_invalid_json_on_every_json_endpoint(api_as, alice, path):
    response = api_as(alice).post(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_nesting_at_the_limit_parses_and_one_more_level_does_not(api, db):
    at_limit = "[" * 32 + "]" * 32
    over = "[" * 33 + "]" * 33
    # A list at the limit is parsed (and then refused as the wrong shape, not as JSON).
    assert (
        api.post("/api/auth/token/", data=at_limit, content_type="application/json").json()["error"]
        != "invalid_json"
    )
    response = api.post("/api/auth/token/", data=over, content_type="application/json")
    assert response.json()["error"] == "invalid_json"


def test_nan_is_not_json(api, db):
    response = api.post(
        "/api/auth/token/", data='{"username": NaN}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
