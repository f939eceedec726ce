"""The encrypted model a miner downloads is checked before use; gradients go out in wire format."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from pysonar import NO_RETRY, MalformedResponse, SonarClient
from syft.encrypted import EncryptedArray
from syft.keys import keypair_generate, public_key_to_dict
from syft.wire import encrypted_to_bytes, encrypted_to_json
from tests.pysonar.conftest import json_answer

WEIGHTS = np.array([0.25, -1.5, 3.0])


@pytest.fixture(scope="module")
def keypair():
    return keypair_generate(1024, allow_insecure_for_tests=True)


def _model_body(key, weights=WEIGHTS, **changes) -> dict:
    body = {
        "campaign": 5,
        "version": 2,
        "algorithm": "linear_regression",
        "n_features": len(weights) - 1,
        "n_classes": None,
        "fit_intercept": True,
        "shape": [len(weights)],
        "public_key": public_key_to_dict(key),
        "weights": encrypted_to_json(EncryptedArray.encrypt(key, weights)),
    }
    body.update(changes)
    return body


def _client(server, **options) -> SonarClient:
    options.setdefault("allow_insecure_keys", True)
    return SonarClient(server.url, token="t", retry=NO_RETRY, **options)


def test_the_model_arrives_with_its_key_and_ciphertexts_that_decrypt_to_the_weights(
    scripted_server, keypair
):
    public_key, private_key = keypair
    scripted_server.script.append(json_answer(200, _model_body(public_key)))
    model = _client(scripted_server).model(5)
    assert (model.campaign_id, model.version, model.shape) == (5, 2, (3,))
    assert (model.algorithm, model.n_features, model.n_classes) == ("linear_regression", 2, None)
    assert model.public_key.n == public_key.n
    np.testing.assert_allclose(model.weights.decrypt(private_key), WEIGHTS)


def test_a_test_sized_key_is_refused_unless_the_client_allows_it(scripted_server, keypair):
    scripted_server.script.append(json_answer(200, _model_body(keypair[0])))
    with pytest.raises(MalformedResponse, match="2048"):
        _client(scripted_server, allow_insecure_keys=False).model(5)


def test_a_model_whose_key_was_swapped_is_malformed(scripted_server, keypair):
    other, _ = keypair_generate(1024, allow_insecure_for_tests=True)
    body = _model_body(keypair[0], public_key=public_key_to_dict(other))
    scripted_server.script.append(json_answer(200, body))
    with pytest.raises(MalformedResponse) as caught:
        _client(scripted_server).model(5)
    assert "Campaign 5's model is malformed" in caught.value.detail


def test_a_model_whose_shape_disagrees_with_its_ciphertexts_is_malformed(scripted_server, keypair):
    scripted_server.script.append(json_answer(200, _model_body(keypair[0], shape=[4])))
    with pytest.raises(MalformedResponse, match="malformed"):
        _client(scripted_server).model(5)


@pytest.mark.parametrize(
    "changes",
    [{"version": -1}, {"n_features": "3"}, {"fit_intercept": "yes"}, {"algorithm": ""}],
    ids=["negative-version", "text-n-features", "text-intercept", "no-algorithm"],
)
def test_a_model_with_a_bad_field_is_malformed_and_names_it(scripted_server, keypair, changes):
    scripted_server.script.append(json_answer(200, _model_body(keypair[0], **changes)))
    with pytest.raises(MalformedResponse) as caught:
        _client(scripted_server).model(5)
    assert next(iter(changes)) in caught.value.detail


def test_a_gradient_goes_out_in_the_binary_wire_format_by_default(scripted_server, keypair):
    gradient = EncryptedArray.encrypt(keypair[0], np.array([1.0, 2.0, -0.5]))
    scripted_server.script.append(json_answer(202, {"id": 9, "status": "pending"}))
    answer = _client(scripted_server).gradient_submit(
        5, base_version=2, n_samples=110, payout_account="acct_bob", gradient=gradient,
        idempotency_key="mine-1-abc",
    )  # fmt: skip
    assert answer == {"id": 9, "status": "pending"}
    method, path, headers = scripted_server.requests[0]
    assert method == "POST"
    assert (
        path == "/api/campaigns/5/gradients/?base_version=2&n_samples=110&payout_account=acct_bob"
    )
    assert headers["Content-Type"] == "application/vnd.sonar.gradient"
    assert headers["Idempotency-Key"] == "mine-1-abc"
    assert scripted_server.bodies[0] == encrypted_to_bytes(gradient)


def test_a_gradient_can_go_out_gzipped(scripted_server, keypair):
    gradient = EncryptedArray.encrypt(keypair[0], np.array([1.0, 2.0]))
    scripted_server.script.append(json_answer(202, {"id": 9, "status": "pending"}))
    _client(scripted_server).gradient_submit(
        5, base_version=2, n_samples=110, payout_account="acct_bob", gradient=gradient,
        idempotency_key="k", compress=True,
    )  # fmt: skip
    assert scripted_server.requests[0][2]["Content-Encoding"] == "gzip"
    assert gzip.decompress(scripted_server.bodies[0]) == encrypted_to_bytes(gradient)


def test_a_gradient_goes_out_in_the_json_wire_format_when_asked(scripted_server, keypair):
    gradient = EncryptedArray.encrypt(keypair[0], np.array([1.0, 2.0, -0.5]))
    scripted_server.script.append(json_answer(202, {"id": 9, "status": "pending"}))
    answer = _client(scripted_server).gradient_submit(
        5,
        base_version=2,
        n_samples=110,
        payout_account="acct_bob",
        gradient=gradient,
        idempotency_key="mine-1-abc",
        form="json",
    )
    assert answer == {"id": 9, "status": "pending"}
    method, path, headers = scripted_server.requests[0]
    assert (method, path, headers["Idempotency-Key"]) == ("POST", "/api/campaigns/5/gradients/",
                                                          "mine-1-abc")  # fmt: skip
    body = json.loads(scripted_server.bodies[0])
    assert {k: body[k] for k in ("base_version", "n_samples", "payout_account")} == {
        "base_version": 2,
        "n_samples": 110,
        "payout_account": "acct_bob",
    }
    assert body["gradient"] == encrypted_to_json(gradient)


def test_a_gradient_without_an_idempotency_key_is_refused_before_sending(scripted_server, keypair):
    gradient = EncryptedArray.encrypt(keypair[0], np.array([1.0]))
    with pytest.raises(ValueError, match="idempotency_key"):
        _client(scripted_server).gradient_submit(
            5, base_version=0, n_samples=1, payout_account="a", gradient=gradient,
            idempotency_key="",
        )  # fmt: skip
    assert scripted_server.requests == []
