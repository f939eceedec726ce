"""Every unusable gradient gets a 4xx naming the problem, and nothing is stored or recorded."""

from __future__ import annotations

import copy
import uuid

import pytest

from ledger.models import Entry
from sonar_ui.models import GradientSubmission
from syft import keys, wire
from syft.encrypted import EncryptedArray
from tests.sonar_ui.conftest import mine_gradient


@pytest.fixture
def open_campaign(alice, diabetes, launched):
    return launched(alice, diabetes, hyperparameters={"learning_rate": 0.3})


@pytest.fixture
def good_body(api_as, bob, open_campaign, diabetes):
    client = api_as(bob)
    model = client.get(f"/api/campaigns/{open_campaign['id']}/model/").json()
    X, y = diabetes.mines[0]
    return {
        "base_version": model["version"],
        "n_samples": len(X),
        "payout_account": client.get("/api/wallet/").json()["account"],
        "gradient": mine_gradient(model, X, y),
    }


def post(client, campaign_id, body, key=None, **extra):
    return client.post(
        f"/api/campaigns/{campaign_id}/gradients/", body, format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **extra,
    )  # fmt: skip


def assert_refused(response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code, body
    for word in words:
        assert word in body["detail"], body
    assert GradientSubmission.objects.count() == 0
    assert not Entry.objects.filter(kind="gradient.submitted").exists()


def test_a_gradient_of_the_wrong_length_is_refused(api_as, bob, open_campaign, good_body):
    body = copy.deepcopy(good_body)
    body["gradient"]["ciphertexts"] = body["gradient"]["ciphertexts"][:-1]
    body["gradient"]["shape"] = [len(body["gradient"]["ciphertexts"])]
    assert_refused(post(api_as(bob), open_campaign["id"], body), 400, "shape_mismatch", "10")


def test_a_gradient_under_another_key_is_refused(api_as, bob, open_campaign, good_body):
    other_public, _ = keys.keypair_generate(1024, allow_insecure_for_tests=True)
    import numpy as np

    foreign = EncryptedArray.encrypt(other_public, np.zeros(11))
    body = {**good_body, "gradient": wire.encrypted_to_json(foreign)}
    assert_refused(post(api_as(bob), open_campaign["id"], body), 400, "key_mismatch")


def test_an_out_of_range_ciphertext_is_refused(api_as, bob, open_campaign, good_body):
    body = copy.deepcopy(good_body)
    n = int(open_campaign["public_key"]["n"], 16)
    body["gradient"]["ciphertexts"][3] = format(n * n + 5, "x")
    assert_refused(post(api_as(bob), open_campaign["id"], body), 400, "ciphertext_out_of_range")


def test_a_zero_ciphertext_is_refused(api_as, bob, open_campaign, good_body):
    body = copy.deepcopy(good_body)
    body["gradient"]["ciphertexts"][0] = "0"
    response = post(api_as(bob), open_campaign["id"], body)
    assert response.status_code == 400
    assert GradientSubmission.objects.count() == 0


def test_a_malformed_gradient_is_refused(api_as, bob, open_campaign, good_body):
    body = {**good_body, "gradient": {"format": "syft.encrypted/1", "ciphertexts": "zz"}}
    response = post(api_as(bob), open_campaign["id"], body)
    assert response.status_code == 400
    assert response.json()["error"] in ("malformed_payload", "invalid")
    assert GradientSubmission.objects.count() == 0


def test_a_gradient_that_is_not_an_object_is_refused(api_as, bob, open_campaign, good_body):
    response = post(api_as(bob), open_campaign["id"], {**good_body, "gradient": [1, 2]})
    assert_refused(response, 400, "invalid", "gradient")


def test_an_unknown_base_version_is_refused(api_as, bob, open_campaign, good_body):
    response = post(api_as(bob), open_campaign["id"], {**good_body, "base_version": 7})
    assert_refused(response, 400, "unknown_base_version", "no model version 7")


def test_an_unknown_campaign_is_404(api_as, bob, open_campaign, good_body):
    assert_refused(post(api_as(bob), 999_999, good_body), 404, "not_found")


def test_a_closed_campaign_takes_no_gradients(api_as, alice, bob, open_campaign, good_body):
    assert api_as(alice).post(f"/api/campaigns/{open_campaign['id']}/close/").status_code == 200
    before = Entry.objects.filter(kind="gradient.submitted").count()
    response = post(api_as(bob), open_campaign["id"], good_body)
    assert response.status_code == 409
    assert response.json()["error"] == "campaign_state"
    assert "completed" in response.json()["detail"]
    assert GradientSubmission.objects.count() == 0
    assert Entry.objects.filter(kind="gradient.submitted").count() == before


def test_an_unknown_payout_account_is_refused(api_as, bob, open_campaign, good_body):
    body = {**good_body, "payout_account": "acct_doesnotexist"}
    assert_refused(post(api_as(bob), open_campaign["id"], body), 400, "unknown_payout_account")


def test_a_too_large_gradient_is_refused(api_as, bob, open_campaign, good_body, monkeypatch):
    monkeypatch.setattr("sonar_ui.services.gradients.MAX_GRADIENT_BYTES", 1000)
    assert_refused(post(api_as(bob), open_campaign["id"], good_body), 413, "payload_too_large")


def test_a_gradient_without_idempotency_key_is_refused(api_as, bob, open_campaign, good_body):
    response = api_as(bob).post(
        f"/api/campaigns/{open_campaign['id']}/gradients/", good_body, format="json"
    )
    assert_refused(response, 400, "idempotency_key_required", "Idempotency-Key")


def test_mallory_without_the_miner_role_cannot_submit(api_as, mallory, open_campaign, good_body):
    response = post(api_as(mallory), open_campaign["id"], good_body)
    assert_refused(response, 403, "permission_denied", "/api/me/roles/")


def test_a_repeated_idempotency_key_returns_the_first_submission(
    api_as, bob, open_campaign, good_body
):
    client = api_as(bob)
    first = post(client, open_campaign["id"], good_body, key="k-1")
    again = post(client, open_campaign["id"], good_body, key="k-1")
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert GradientSubmission.objects.count() == 1
    assert Entry.objects.filter(kind="gradient.submitted").count() == 1


def test_a_repeated_key_with_other_content_is_a_conflict(api_as, bob, open_campaign, good_body):
    client = api_as(bob)
    assert post(client, open_campaign["id"], good_body, key="k-2").status_code == 202
    response = post(client, open_campaign["id"], {**good_body, "n_samples": 3}, key="k-2")
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert GradientSubmission.objects.count() == 1
