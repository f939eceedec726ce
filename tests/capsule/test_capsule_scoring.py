"""The capsule decrypts models in memory and returns the same score scikit-learn would."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from capsule import cache
from capsule.models import CampaignKey
from capsule.services import (
    CapsuleError,
    KeyUnavailableError,
    ModelBlobError,
    ModelSpec,
    ValidationDataError,
    keypair_create,
    model_encrypt_initial,
    model_refresh,
    model_score,
    public_key_for,
    validation_data_store,
)
from ledger.models import Entry
from ledger.services import blob_get, blob_put
from syft.keys import public_key_fingerprint
from syft.wire import encrypted_loads, encrypted_to_bytes


def _linear_prediction(weights: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ weights[..., :-1].T + weights[..., -1]


def test_score_of_encrypted_weights_equals_sklearn_r2_on_diabetes(launched, diabetes):
    campaign = launched(diabetes)
    blob = model_encrypt_initial(campaign_id=campaign, weights=diabetes.fitted_weights)

    score = model_score(campaign_id=campaign, encrypted_weights_blob=blob)

    expected = r2_score(diabetes.y, _linear_prediction(diabetes.fitted_weights, diabetes.X))
    assert 0.4 < expected < 0.6
    assert score == pytest.approx(expected, abs=1e-9)


def test_a_regression_worse_than_the_mean_scores_zero_not_negative(launched, diabetes):
    campaign = launched(diabetes)
    bad = -diabetes.fitted_weights
    assert r2_score(diabetes.y, _linear_prediction(bad, diabetes.X)) < 0
    blob = model_encrypt_initial(campaign_id=campaign, weights=bad)

    assert model_score(campaign_id=campaign, encrypted_weights_blob=blob) == 0.0


def test_score_equals_sklearn_accuracy_on_breast_cancer(launched, breast_cancer):
    campaign = launched(breast_cancer)
    blob = model_encrypt_initial(campaign_id=campaign, weights=breast_cancer.fitted_weights)

    score = model_score(campaign_id=campaign, encrypted_weights_blob=blob)

    decision = _linear_prediction(breast_cancer.fitted_weights, breast_cancer.X)
    expected = accuracy_score(breast_cancer.y, (decision >= 0).astype(int))
    assert expected > 0.9
    assert score == expected


def test_score_equals_sklearn_accuracy_on_iris_one_vs_rest(launched, iris):
    campaign = launched(iris)
    blob = model_encrypt_initial(campaign_id=campaign, weights=iris.fitted_weights)

    score = model_score(campaign_id=campaign, encrypted_weights_blob=blob)

    predicted = np.argmax(_linear_prediction(iris.fitted_weights, iris.X), axis=1)
    assert score == accuracy_score(iris.y, predicted)
    assert score > 0.9


def test_a_fresh_worker_unwraps_the_key_and_data_and_scores_the_same(launched, breast_cancer):
    campaign = launched(breast_cancer)
    blob = model_encrypt_initial(campaign_id=campaign, weights=breast_cancer.fitted_weights)
    warm = model_score(campaign_id=campaign, encrypted_weights_blob=blob)

    cache.private_keys.clear()
    cache.validation_sets.clear()

    assert model_score(campaign_id=campaign, encrypted_weights_blob=blob) == warm


def test_refresh_restores_full_headroom_and_keeps_the_weights(launched, diabetes):
    campaign = launched(diabetes)
    public_key = public_key_for(campaign_id=campaign)
    blob = model_encrypt_initial(campaign_id=campaign, weights=diabetes.fitted_weights)
    original = encrypted_loads(blob_get(blob), public_key=public_key)
    # Updates grow the fixed-point scale; a product with a plaintext is one such step.
    grown = original.multiply(np.full(original.shape, 0.5))
    with_less_headroom = blob_put(encrypted_to_bytes(grown), kind="model")

    refreshed = model_refresh(campaign_id=campaign, encrypted_weights_blob=with_less_headroom)

    fresh = encrypted_loads(blob_get(refreshed), public_key=public_key)
    assert refreshed != with_less_headroom
    assert fresh.headroom_bits() > grown.headroom_bits()
    assert fresh.headroom_bits() == original.headroom_bits()
    half = model_score(campaign_id=campaign, encrypted_weights_blob=with_less_headroom)
    assert model_score(campaign_id=campaign, encrypted_weights_blob=refreshed) == half


def test_key_pair_is_made_once_and_published_with_public_data_only(launched, diabetes):
    campaign = launched(diabetes)

    again = keypair_create(campaign_id=campaign, spec=diabetes.spec)

    public_key = public_key_for(campaign_id=campaign)
    assert again["fingerprint"] == public_key_fingerprint(public_key)
    assert CampaignKey.objects.filter(campaign_id=campaign).count() == 1
    published = Entry.objects.filter(kind="key.published", campaign_id=campaign)
    assert published.count() == 1
    assert set(published.get().payload) == {"campaign", "scheme", "fingerprint", "n", "bits"}
    assert published.get().payload["n"] == format(public_key.n, "x")


def test_key_pair_cannot_be_remade_for_another_model(launched, diabetes):
    campaign = launched(diabetes)
    other = ModelSpec(algorithm="logistic_regression", n_features=diabetes.spec.n_features)

    with pytest.raises(CapsuleError, match=f"Campaign {campaign} already has a key pair"):
        keypair_create(campaign_id=campaign, spec=other)


def test_key_pair_for_a_model_narrower_than_the_validation_data_is_refused(db, diabetes):
    validation_data_store(
        campaign_id=7,
        input_schema=diabetes.input_schema,
        output_schema=diabetes.output_schema,
        data=diabetes.csv,
    )
    narrow = ModelSpec(algorithm="linear_regression", n_features=3)

    with pytest.raises(ValidationDataError, match="campaign 7 has 10 feature columns"):
        keypair_create(campaign_id=7, spec=narrow)
    assert not CampaignKey.objects.filter(campaign_id=7).exists()
    assert not Entry.objects.filter(kind="key.published", campaign_id=7).exists()


def test_initial_weights_of_the_wrong_shape_are_refused_naming_the_campaign(launched, iris):
    campaign = launched(iris, campaign_id=12)

    with pytest.raises(ModelBlobError, match=r"campaign 12 have shape \(5,\).*needs \(3, 5\)"):
        model_encrypt_initial(campaign_id=campaign, weights=np.zeros(5))


def test_scoring_a_campaign_without_a_key_pair_says_so(db):
    with pytest.raises(KeyUnavailableError, match="Campaign 404 has no key pair"):
        model_score(campaign_id=404, encrypted_weights_blob="0" * 64)
