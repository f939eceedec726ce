"""Content-addressed blobs: the address is the sha256, and every read re-checks it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from ledger.errors import BlobIntegrityError, BlobNotFoundError, BlobTooLargeError
from ledger.models import Blob
from ledger.services import blob_get, blob_put

pytestmark = pytest.mark.django_db


def test_a_blob_is_stored_under_its_sha256_and_read_back():
    data = b"encrypted gradient \x00\x01\x02" * 100
    address = blob_put(data, kind="gradient")
    assert address == hashlib.sha256(data).hexdigest()
    assert blob_get(address) == data
    assert Blob.objects.get(address=address).kind == "gradient"
    assert Blob.objects.get(address=address).size_bytes == len(data)


def test_storing_the_same_bytes_twice_is_harmless():
    first = blob_put(b"same model")
    second = blob_put(b"same model")
    assert first == second
    assert Blob.objects.filter(address=first).count() == 1
    assert blob_get(first) == b"same model"


def test_a_blob_over_the_limit_is_refused_naming_its_size_and_the_limit(settings):
    settings.BLOB_MAX_BYTES = 1_000
    with pytest.raises(BlobTooLargeError) as caught:
        blob_put(b"x" * 1_001, kind="model")
    assert "The model is 1,001 bytes" in str(caught.value)
    assert "at most 1,000 bytes" in str(caught.value)
    assert "BLOB_MAX_BYTES" in str(caught.value)
    assert not Blob.objects.exists()


def test_a_blob_changed_on_disk_is_refused_on_read():
    address = blob_put(b"the real weights")
    storage = storages["blobs"]
    name = f"{address[:2]}/{address[2:4]}/{address}"
    storage.delete(name)
    storage.save(name, ContentFile(b"the fake weights"))
    with pytest.raises(BlobIntegrityError, match=f"The blob stored at {address} is damaged"):
        blob_get(address)


def test_a_truncated_copy_is_replaced_when_the_blob_is_stored_again():
    address = blob_put(b"complete bytes")
    storage = storages["blobs"]
    name = f"{address[:2]}/{address[2:4]}/{address}"
    storage.delete(name)
    storage.save(name, ContentFile(b"compl"))
    assert blob_put(b"complete bytes") == address
    assert blob_get(address) == b"complete bytes"


def test_a_missing_blob_and_a_malformed_address_are_not_found():
    with pytest.raises(BlobNotFoundError, match="No blob is stored at"):
        blob_get("0" * 64)
    with pytest.raises(BlobNotFoundError, match="64 lowercase hex digits"):
        blob_get("../../etc/passwd")


def test_only_bytes_are_stored():
    with pytest.raises(TypeError, match="stores bytes, not str"):
        blob_put("text")
