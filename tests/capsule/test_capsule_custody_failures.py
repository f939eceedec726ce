"""Every way custody can fail is a clear sentence naming the campaign, and nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from capsule import cache, custody
from capsule.models import CampaignKey, ModelDelivery, ValidationSet
from capsule.services import (
    KeyUnavailableError,
    ModelBlobError,
    ValidationDataError,
    keypair_create,
    model_deliver,
    model_encrypt_initial,
    model_refresh,
    model_score,
    validation_data_store,
)
from ledger.models import Blob, Entry


def _cold() -> None:
    """Forget everything unwrapped, as a freshly started worker would."""
    cache.private_keys.clear()
    cache.validation_sets.clear()


@pytest.fixture
def scored(launched, diabetes) -> tuple[int, str]:
    """A launched campaign (id 3) and the blob of its fitted weights."""
    campaign = launched(diabetes, campaign_id=3)
    return campaign, model_encrypt_initial(campaign_id=campaign, weights=diabetes.fitted_weights)


def _assert_every_use_fails(
    campaign: int,
    blob: str,
    error: type,
    match: str,
    owner,
    uses: Sequence[str] = ("score", "refresh", "deliver"),
) -> None:
    """Score, refresh and deliver all refuse, and none of them leaves a trace behind."""
    blobs, entries = Blob.objects.count(), Entry.objects.count()
    calls = {
        "score": lambda: model_score(campaign_id=campaign, encrypted_weights_blob=blob),
        "refresh": lambda: model_refresh(campaign_id=campaign, encrypted_weights_blob=blob),
        "deliver": lambda: model_deliver(
            campaign_id=campaign, encrypted_weights_blob=blob, owner_id=owner.id, metadata={}
        ),
    }
    for use in uses:
        with pytest.raises(error, match=match):
            calls[use]()
    assert Blob.objects.count() == blobs
    assert Entry.objects.count() == entries
    assert not ModelDelivery.objects.exists()


def test_a_corrupted_wrapped_key_is_refused_naming_the_campaign(scored, alice):
    campaign, blob = scored
    row = CampaignKey.objects.get(campaign_id=campaign)
    lines = row.wrapped_private_key.splitlines()
    middle = len(lines) // 2
    lines[middle] = lines[middle][::-1]
    CampaignKey.objects.filter(pk=row.pk).update(wrapped_private_key="\n".join(lines))
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        KeyUnavailableError,
        f"The private key of campaign {campaign} could not be unwrapped: the stored ciphertext "
        "is corrupted",
        alice,
    )


def test_a_wrapped_key_that_holds_no_private_key_is_refused(scored, alice):
    campaign, blob = scored
    row = CampaignKey.objects.get(campaign_id=campaign)
    garbage = custody.secret_wrap(
        data=b'{"format": "something else"}', recipient=row.wrapped_to, what="test", armor=True
    )
    CampaignKey.objects.filter(pk=row.pk).update(wrapped_private_key=garbage.decode())
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        KeyUnavailableError,
        f"The private key of campaign {campaign} is corrupted: it unwrapped, but not to a "
        "Paillier private key",
        alice,
    )


def test_a_wrapped_key_swapped_with_another_campaigns_is_refused(scored, launched, diabetes, alice):
    campaign, blob = scored
    other = launched(diabetes, campaign_id=4)
    theirs = CampaignKey.objects.get(campaign_id=other).wrapped_private_key
    CampaignKey.objects.filter(campaign_id=campaign).update(wrapped_private_key=theirs)
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        KeyUnavailableError,
        f"The private key of campaign {campaign} does not belong to the campaign's public key",
        alice,
    )


def test_a_wrong_capsule_passphrase_is_refused_naming_the_campaign(scored, settings, alice):
    campaign, blob = scored
    settings.CAPSULE_PASSPHRASE = "not the passphrase the key was made with"
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        KeyUnavailableError,
        f"campaign {campaign} could not be unwrapped: the capsule's GPG key .* refused "
        "CAPSULE_PASSPHRASE",
        alice,
    )


def test_a_missing_capsule_key_is_refused_naming_the_campaign(scored, empty_capsule_home, alice):
    campaign, blob = scored
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        KeyUnavailableError,
        f"of campaign {campaign} is wrapped to the capsule's GPG key [0-9A-F]{{40}}, which is not "
        "in CAPSULE_GNUPGHOME",
        alice,
    )


def test_a_missing_capsule_key_is_not_silently_replaced_by_a_new_one(
    scored, empty_capsule_home, diabetes
):
    keys, sets, entries = CampaignKey.objects.count(), ValidationSet.objects.count(), Entry.objects
    entries = entries.count()

    # The capsule (this process has its role) would publish its key first, and refuses to make
    # a new one next to data wrapped to the lost one.
    with pytest.raises(KeyUnavailableError, match="Cannot store the capsule's published key"):
        validation_data_store(
            campaign_id=5,
            input_schema=diabetes.input_schema,
            output_schema=diabetes.output_schema,
            data=diabetes.csv,
        )
    with pytest.raises(KeyUnavailableError, match="Cannot store the private key of campaign 6"):
        keypair_create(campaign_id=6, spec=diabetes.spec)

    assert (CampaignKey.objects.count(), ValidationSet.objects.count()) == (keys, sets)
    assert Entry.objects.count() == entries
    assert custody.capsule_key_fingerprint() is None


def test_a_blob_whose_bytes_no_longer_hash_to_its_address_is_refused(scored, alice):
    from django.core.files.storage import storages

    campaign, blob = scored
    storage = storages["blobs"]
    (path,) = [name for name in _stored_names(storage) if blob in name]
    with storage.open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[-1] ^= 0x01
    storage.delete(path)
    storage.save(path, _content(bytes(data)))

    _assert_every_use_fails(
        campaign,
        blob,
        ModelBlobError,
        f"Model blob {blob} of campaign {campaign} is corrupted",
        alice,
    )


def _stored_names(storage, directory: str = "") -> Iterator[str]:
    subdirectories, files = storage.listdir(directory)
    for name in files:
        yield f"{directory}/{name}" if directory else name
    for sub in subdirectories:
        yield from _stored_names(storage, f"{directory}/{sub}" if directory else sub)


def _content(data: bytes):
    from django.core.files.base import ContentFile

    return ContentFile(data)


def test_a_blob_that_does_not_exist_is_refused(scored, alice):
    campaign, _ = scored

    _assert_every_use_fails(
        campaign,
        "ab" * 32,
        ModelBlobError,
        f"Model blob {'ab' * 32} of campaign 3 is not in",
        alice,
    )


def test_a_blob_under_another_campaigns_key_is_refused(scored, launched, diabetes, alice):
    campaign, _ = scored
    other = launched(diabetes, campaign_id=8)
    theirs = model_encrypt_initial(campaign_id=other, weights=diabetes.fitted_weights)

    _assert_every_use_fails(
        campaign, theirs, ModelBlobError, f"is not encrypted under campaign {campaign}'s key", alice
    )


def test_a_blob_of_the_wrong_shape_is_refused(scored, launched, iris, alice):
    campaign, _ = scored
    other = launched(iris, campaign_id=9)
    iris_blob = model_encrypt_initial(campaign_id=other, weights=iris.fitted_weights)
    # Same shape check, whatever the key: the diabetes model has 11 weights, iris (3, 5).
    _assert_every_use_fails(campaign, iris_blob, ModelBlobError, f"Model blob {iris_blob}", alice)


def test_tampered_validation_data_is_refused_naming_the_campaign(scored, alice, diabetes):
    campaign, blob = scored
    row = ValidationSet.objects.get(campaign_id=campaign)
    first_rows = b"".join(diabetes.csv.splitlines(keepends=True)[:200])
    rewrapped = custody.secret_wrap(data=first_rows, recipient=row.wrapped_to, what="test")
    ValidationSet.objects.filter(pk=row.pk).update(wrapped_data=rewrapped)
    _cold()

    _assert_every_use_fails(
        campaign,
        blob,
        ValidationDataError,
        f"The validation data of campaign {campaign} no longer matches the checksum",
        alice,
        uses=("score", "deliver"),
    )


def test_initial_weights_that_are_not_finite_are_refused(scored, diabetes):
    campaign, _ = scored
    weights = diabetes.fitted_weights.copy()
    weights[2] = np.nan
    blobs = Blob.objects.count()

    with pytest.raises(ModelBlobError, match=f"campaign {campaign} hold values that are not"):
        model_encrypt_initial(campaign_id=campaign, weights=weights)
    assert Blob.objects.count() == blobs
