"""The final model reaches its owner alone: PGP-encrypted to their key, or plain without one."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

from accounts.services import profile_set_pgp_key
from capsule.models import CampaignKey, ModelDelivery, ValidationSet
from capsule.services import (
    DeliveryError,
    KeyUnavailableError,
    ValidationDataError,
    delivery_for,
    keypair_retire,
    model_deliver,
    model_encrypt_initial,
    model_score,
    public_key_for,
)
from ledger.services import blob_get
from syft.wire import encrypted_loads

METADATA = {"campaign": 1, "name": "diabetes", "version": 3, "accuracy": 0.5}


def _open(artifact: bytes) -> tuple[dict, np.ndarray]:
    with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
        assert sorted(archive.namelist()) == ["model.json", "weights.npz"]
        description = json.loads(archive.read("model.json"))
        with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
            weights = npz["weights"]
    return description, weights


@pytest.fixture
def final(launched, diabetes) -> tuple[int, str]:
    """Campaign 1, launched, with its final model's blob."""
    campaign = launched(diabetes)
    return campaign, model_encrypt_initial(campaign_id=campaign, weights=diabetes.fitted_weights)


def _decrypted(campaign: int, blob: str) -> np.ndarray:
    from capsule import services

    row = CampaignKey.objects.get(campaign_id=campaign)
    public_key = public_key_for(campaign_id=campaign)
    return encrypted_loads(blob_get(blob), public_key=public_key).decrypt(
        services._private_key(row)
    )


def test_an_owner_with_a_pgp_key_gets_an_artifact_only_their_gpg_opens(
    final, alice, pgp_identity, diabetes
):
    campaign, blob = final
    profile_set_pgp_key(user=alice, armored=pgp_identity.public_key)

    delivery = model_deliver(
        campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata=METADATA
    )

    assert delivery.data.startswith(b"-----BEGIN PGP MESSAGE-----")
    assert delivery.filename == f"campaign-{campaign}-model.zip.asc"
    assert delivery.pgp_fingerprint == pgp_identity.fingerprint
    assert delivery.sha256 == hashlib.sha256(delivery.data).hexdigest()
    description, weights = _open(pgp_identity.decrypt(delivery.data))
    np.testing.assert_array_equal(weights, _decrypted(campaign, blob))
    np.testing.assert_allclose(weights, diabetes.fitted_weights, rtol=1e-12)
    assert description["metadata"] == METADATA
    assert description["algorithm"] == "linear_regression"
    assert description["weights"]["shape"] == [11]
    assert description["weights"]["columns"] == ["age", "sex", "bmi", "bp", "s1", "s2", "s3",
                                                 "s4", "s5", "s6", "(intercept)"]  # fmt: skip
    assert description["input_schema"] == diabetes.input_schema
    assert description["accuracy"] == model_score(campaign_id=campaign, encrypted_weights_blob=blob)


def test_an_owner_without_a_pgp_key_gets_a_plain_zip(final, alice, diabetes):
    campaign, blob = final

    delivery = model_deliver(
        campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata=METADATA
    )

    assert delivery.content_type == "application/zip"
    assert delivery.filename == f"campaign-{campaign}-model.zip"
    assert delivery.pgp_fingerprint == ""
    _, weights = _open(delivery.data)
    np.testing.assert_allclose(weights, diabetes.fitted_weights, rtol=1e-12)
    # Kept for the owner's next download, but never in the clear.
    assert delivery.data not in bytes(ModelDelivery.objects.get().wrapped_artifact)


def test_the_owner_downloads_the_same_artifact_again_even_after_retirement(
    final, alice, pgp_identity
):
    campaign, blob = final
    profile_set_pgp_key(user=alice, armored=pgp_identity.public_key)
    first = model_deliver(
        campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata=METADATA
    )
    keypair_retire(campaign_id=campaign)

    again = model_deliver(
        campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata=METADATA
    )

    assert again == first
    assert delivery_for(campaign_id=campaign) == first
    assert ModelDelivery.objects.count() == 1


def test_a_second_model_for_a_delivered_campaign_is_refused(final, alice, diabetes):
    campaign, blob = final
    model_deliver(campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata={})
    other = model_encrypt_initial(campaign_id=campaign, weights=diabetes.fitted_weights * 2)

    with pytest.raises(DeliveryError, match=f"Campaign {campaign} already delivered"):
        model_deliver(
            campaign_id=campaign, encrypted_weights_blob=other, owner_id=alice.id, metadata={}
        )
    assert ModelDelivery.objects.get().source_blob == blob


def test_metadata_that_is_not_json_is_refused_and_nothing_is_delivered(final, alice):
    campaign, blob = final

    with pytest.raises(DeliveryError, match=f"metadata of campaign {campaign}'s final model"):
        model_deliver(
            campaign_id=campaign,
            encrypted_weights_blob=blob,
            owner_id=alice.id,
            metadata={"accuracy": float("nan")},
        )
    assert delivery_for(campaign_id=campaign) is None


def test_delivery_to_an_owner_who_does_not_exist_is_refused(final):
    campaign, blob = final

    with pytest.raises(DeliveryError, match=f"owner of campaign {campaign} \\(user 999\\)"):
        model_deliver(campaign_id=campaign, encrypted_weights_blob=blob, owner_id=999, metadata={})
    assert not ModelDelivery.objects.exists()


def test_the_key_cannot_be_retired_before_the_model_is_delivered(final):
    campaign, blob = final

    with pytest.raises(DeliveryError, match=f"Campaign {campaign}'s final model has not been"):
        keypair_retire(campaign_id=campaign)
    assert model_score(campaign_id=campaign, encrypted_weights_blob=blob) > 0


def test_retirement_destroys_the_private_key_and_validation_data(final, alice):
    campaign, blob = final
    model_deliver(campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata={})

    keypair_retire(campaign_id=campaign)
    keypair_retire(campaign_id=campaign)  # a redelivered task finds nothing left to do

    row = CampaignKey.objects.get(campaign_id=campaign)
    assert row.wrapped_private_key == ""
    assert row.retired_at is not None
    assert bytes(ValidationSet.objects.get(campaign_id=campaign).wrapped_data) == b""
    with pytest.raises(KeyUnavailableError, match=f"key pair of campaign {campaign} was retired"):
        model_score(campaign_id=campaign, encrypted_weights_blob=blob)
    # The public half stays: old ciphertexts and the ledger still refer to it.
    assert public_key_for(campaign_id=campaign).n == int(row.public_key["n"], 16)


def test_another_worker_still_holding_the_key_stops_using_it_once_retired(final, alice):
    from capsule import cache

    campaign, blob = final
    model_deliver(campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata={})
    held = dict(cache.private_keys._items)
    keypair_retire(campaign_id=campaign)
    for key, value in held.items():  # as if this process were not the one that retired it
        cache.private_keys.put(key, value)

    with pytest.raises(KeyUnavailableError, match="was retired"):
        model_score(campaign_id=campaign, encrypted_weights_blob=blob)
    assert cache.private_keys.get(next(iter(held))) is None


def test_validation_data_is_gone_after_retirement(final, alice, diabetes):
    from capsule.services import _validation_table

    campaign, blob = final
    model_deliver(campaign_id=campaign, encrypted_weights_blob=blob, owner_id=alice.id, metadata={})
    keypair_retire(campaign_id=campaign)

    with pytest.raises(ValidationDataError, match=f"campaign {campaign} was destroyed"):
        _validation_table(campaign_id=campaign, n_features=diabetes.spec.n_features)
