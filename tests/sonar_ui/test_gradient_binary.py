"""Gradients in the binary wire form and gzip-encoded: stored exactly like the JSON upload."""

from __future__ import annotations

import gzip
import json
import uuid
from urllib.parse import urlencode

import pytest

from ledger.models import Entry
from sonar_ui.models import GradientSubmission
from sonar_ui.parsers import BINARY_GRADIENT_MEDIA_TYPE, MAX_UPLOAD_BYTES
from syft import keys, wire
from tests.sonar_ui.conftest import mine_gradient


@pytest.fixture
def open_campaign(alice, diabetes, launched):
    return launched(alice, diabetes, hyperparameters={"learning_rate": 0.3})


@pytest.fixture
def upload(api_as, bob, open_campaign, diabetes):
    """bob's gradient for the campaign, with what every form of upload needs."""
    client = api_as(bob)
    model = client.get(f"/api/campaigns/{open_campaign['id']}/model/").json()
    X, y = diabetes.mines[0]
    gradient_json = mine_gradient(model, X, y)
    public_key = keys.public_key_from_dict(model["public_key"], allow_insecure_for_tests=True)
    array = wire.encrypted_from_json(gradient_json, public_key=public_key)
    fields = {
        "base_version": model["version"],
        "n_samples": len(X),
        "payout_account": client.get("/api/wallet/").json()["account"],
    }
    return {"client": client, "fields": fields, "json": gradient_json, "array": array}


def _url(campaign_id: int, params: dict | None = None) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"/api/campaigns/{campaign_id}/gradients/{query}"


def _post_binary(client, campaign_id, fields, body: bytes, *, key=None, **headers):
    return client.generic(
        "POST", _url(campaign_id, fields), body, content_type=BINARY_GRADIENT_MEDIA_TYPE,
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **headers,
    )  # fmt: skip


def test_a_binary_upload_is_stored_as_its_exact_bytes(open_campaign, upload):
    binary = wire.encrypted_to_bytes(upload["array"])
    response = _post_binary(upload["client"], open_campaign["id"], upload["fields"], binary)
    assert response.status_code == 202, response.content
    stored = GradientSubmission.objects.get(pk=response.json()["id"])
    assert stored.blob_address == wire.blob_address(binary)
    assert stored.n_samples == upload["fields"]["n_samples"]


def test_binary_and_gzip_uploads_are_the_very_gradient_sent_as_json(open_campaign, upload):
    """Sonar refuses the same ciphertexts twice; each other form is refused as that duplicate."""
    client, fields = upload["client"], upload["fields"]
    campaign_id = open_campaign["id"]
    first = client.post(
        _url(campaign_id), {**fields, "gradient": upload["json"]}, format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )  # fmt: skip
    assert first.status_code == 202, first.content
    binary = wire.encrypted_to_bytes(upload["array"])
    again = [
        _post_binary(client, campaign_id, fields, binary),
        _post_binary(
            client, campaign_id, fields, gzip.compress(binary), HTTP_CONTENT_ENCODING="gzip"
        ),
        client.generic(
            "POST", _url(campaign_id),
            gzip.compress(json.dumps({**fields, "gradient": upload["json"]}).encode()),
            content_type="application/json", HTTP_CONTENT_ENCODING="gzip",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        ),
    ]  # fmt: skip
    for response in again:
        assert response.status_code == 409, response.content
        assert response.json()["error"] == "duplicate_gradient"
        assert f"gradient #{first.json()['id']}" in response.json()["detail"]
    assert GradientSubmission.objects.filter(campaign_id=campaign_id).count() == 1


def test_a_retried_binary_upload_with_the_same_key_returns_the_first(open_campaign, upload):
    body = wire.encrypted_to_bytes(upload["array"])
    first = _post_binary(upload["client"], open_campaign["id"], upload["fields"], body, key="k1")
    again = _post_binary(upload["client"], open_campaign["id"], upload["fields"], body, key="k1")
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert GradientSubmission.objects.count() == 1


def _refused(response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    for word in words:
        assert word in response.json()["detail"]
    assert GradientSubmission.objects.count() == 0
    assert not Entry.objects.filter(kind="gradient.submitted").exists()


def test_a_gzip_bomb_answers_413_and_stores_nothing(open_campaign, upload):
    bomb = gzip.compress(b"\0" * (MAX_UPLOAD_BYTES + 1024), compresslevel=9)
    assert len(bomb) < 100_000
    response = _post_binary(
        upload["client"], open_campaign["id"], upload["fields"], bomb, HTTP_CONTENT_ENCODING="gzip"
    )
    _refused(response, 413, "payload_too_large", "decompressed")


def test_a_corrupted_binary_gradient_fails_its_checksum(open_campaign, upload):
    body = bytearray(wire.encrypted_to_bytes(upload["array"]))
    body[100] ^= 0xFF
    response = _post_binary(upload["client"], open_campaign["id"], upload["fields"], bytes(body))
    _refused(response, 400, "malformed_payload", "checksum")


def test_a_binary_gradient_without_its_fields_names_them(open_campaign, upload):
    body = wire.encrypted_to_bytes(upload["array"])
    response = _post_binary(upload["client"], open_campaign["id"], {}, body)
    _refused(response, 400, "invalid", "n_samples")


def test_a_body_that_is_not_gzip_is_a_400(open_campaign, upload):
    body = wire.encrypted_to_bytes(upload["array"])
    response = _post_binary(
        upload["client"], open_campaign["id"], upload["fields"], body, HTTP_CONTENT_ENCODING="gzip"
    )
    _refused(response, 400, "parse_error", "gzip")


def test_an_unknown_content_encoding_is_415(open_campaign, upload):
    body = wire.encrypted_to_bytes(upload["array"])
    response = _post_binary(
        upload["client"], open_campaign["id"], upload["fields"], body, HTTP_CONTENT_ENCODING="br"
    )
    _refused(response, 415, "unsupported_media_type", "br")


def test_mallory_cannot_submit_a_binary_gradient(api_as, mallory, open_campaign, upload):
    body = wire.encrypted_to_bytes(upload["array"])
    response = _post_binary(api_as(mallory), open_campaign["id"], upload["fields"], body)
    _refused(response, 403, "permission_denied")
