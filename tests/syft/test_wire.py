import hashlib
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from syft.encrypted import EncryptedArray
from syft.errors import (
    CiphertextNotInvertibleError,
    CiphertextOutOfRangeError,
    KeyMismatchError,
    MalformedPayloadError,
    PayloadTooLargeError,
    ShapeMismatchError,
    UnsupportedVersionError,
)
from syft.wire import (
    blob_address,
    encrypted_dumps,
    encrypted_from_bytes,
    encrypted_from_json,
    encrypted_loads,
    encrypted_to_bytes,
    encrypted_to_json,
)

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
value_arrays = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite)
property_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def same_array(left: EncryptedArray, right: EncryptedArray) -> bool:
    """Exactly the same ciphertexts, shape, scale and bound."""
    return (
        left.ciphertexts == right.ciphertexts
        and left.shape == right.shape
        and left.exponent == right.exponent
        and left.magnitude_bits == right.magnitude_bits
        and left.fingerprint() == right.fingerprint()
    )


@pytest.fixture(scope="module")
def sample(paillier_keys_small):
    return EncryptedArray.encrypt(paillier_keys_small[0], np.array([[1.5, -2.0], [0.0, 3e5]]))


@property_settings
@given(values=value_arrays)
def test_json_form_round_trips_exactly_through_json_text(paillier_keys_small, values):
    public_key, private_key = paillier_keys_small
    original = EncryptedArray.encrypt(public_key, values)
    text = json.dumps(encrypted_to_json(original))
    restored = encrypted_from_json(json.loads(text), public_key=public_key)
    assert same_array(restored, original)
    np.testing.assert_array_equal(restored.decrypt(private_key), original.decrypt(private_key))


@property_settings
@given(values=value_arrays)
def test_binary_form_round_trips_exactly(paillier_keys_small, values):
    public_key, _ = paillier_keys_small
    original = EncryptedArray.encrypt(public_key, values)
    restored = encrypted_from_bytes(encrypted_to_bytes(original), public_key=public_key)
    assert same_array(restored, original)


@property_settings
@given(values=value_arrays, form=st.sampled_from(["binary", "json"]))
def test_loads_accepts_either_form_by_sniffing(paillier_keys_small, values, form):
    public_key, _ = paillier_keys_small
    original = EncryptedArray.encrypt(public_key, values)
    blob = encrypted_dumps(original, form=form)
    assert same_array(encrypted_loads(blob, public_key=public_key), original)


def test_loads_accepts_json_with_leading_whitespace_and_as_text(sample, paillier_keys_small):
    text = "\n  " + encrypted_dumps(sample, form="json").decode()
    assert same_array(encrypted_loads(text, public_key=paillier_keys_small[0]), sample)


def test_binary_layout_is_as_documented(sample, paillier_keys_small):
    blob = encrypted_to_bytes(sample)
    width = (int(paillier_keys_small[0].nsquare).bit_length() + 7) // 8
    magic, version, ndim, declared_width, exponent, magnitude, fingerprint = struct.unpack_from(
        ">4sBBHiI32s", blob
    )
    assert (magic, version, ndim, declared_width) == (b"SYFT", 1, 2, width)
    assert (exponent, magnitude) == (sample.exponent, sample.magnitude_bits)
    assert fingerprint.hex() == sample.fingerprint()
    assert struct.unpack_from(">II", blob, 48) == (2, 2)
    assert len(blob) == 48 + 8 + 4 * width + 32
    assert int.from_bytes(blob[56 : 56 + width], "big") == sample.ciphertexts[0]
    assert blob[-32:] == hashlib.sha256(blob[:-32]).digest()


def test_json_canonical_bytes_are_stable_so_blob_addresses_are_too(sample):
    first, second = encrypted_dumps(sample, form="json"), encrypted_dumps(sample, form="json")
    assert first == second
    assert blob_address(first) == hashlib.sha256(first).hexdigest()
    assert b" " not in first


def test_every_truncation_of_a_binary_blob_is_rejected(sample, paillier_keys_small):
    blob = encrypted_to_bytes(sample)
    for length in range(len(blob)):
        with pytest.raises(MalformedPayloadError):
            encrypted_from_bytes(blob[:length], public_key=paillier_keys_small[0])


def test_every_single_bit_flip_in_a_binary_blob_is_rejected(sample, paillier_keys_small):
    blob = bytearray(encrypted_to_bytes(sample))
    for position in range(len(blob) * 8):
        flipped = bytearray(blob)
        flipped[position // 8] ^= 1 << (position % 8)
        with pytest.raises(MalformedPayloadError):
            encrypted_loads(bytes(flipped), public_key=paillier_keys_small[0])


def test_truncated_json_is_rejected(sample, paillier_keys_small):
    text = encrypted_dumps(sample, form="json")
    for length in (1, len(text) // 2, len(text) - 1):
        with pytest.raises(MalformedPayloadError):
            encrypted_loads(text[:length], public_key=paillier_keys_small[0])


@pytest.mark.parametrize("form", ["binary", "json"])
def test_ciphertexts_under_another_key_are_rejected_by_fingerprint(
    form, paillier_keys, paillier_keys_other
):
    blob = encrypted_dumps(EncryptedArray.encrypt(paillier_keys[0], [1.0]), form=form)
    with pytest.raises(KeyMismatchError, match="not the expected key"):
        encrypted_loads(blob, public_key=paillier_keys_other[0])


@pytest.mark.parametrize("form", ["binary", "json"])
def test_unexpected_shape_is_rejected_with_both_sizes(form, sample, paillier_keys_small):
    blob = encrypted_dumps(sample, form=form)
    with pytest.raises(ShapeMismatchError, match=r"has 4 values \(shape \(2, 2\)\); expected 3"):
        encrypted_loads(blob, public_key=paillier_keys_small[0], expected_shape=(3,))


@pytest.mark.parametrize("form", ["binary", "json"])
def test_payloads_over_the_byte_limit_are_rejected(form, sample, paillier_keys_small):
    blob = encrypted_dumps(sample, form=form)
    with pytest.raises(PayloadTooLargeError):
        encrypted_loads(blob, public_key=paillier_keys_small[0], max_bytes=len(blob) - 1)
    with pytest.raises(PayloadTooLargeError):
        encrypted_from_json(
            encrypted_to_json(sample), public_key=paillier_keys_small[0], max_bytes=100
        )


def test_future_json_version_is_reported_as_unsupported(sample, paillier_keys_small):
    data = {**encrypted_to_json(sample), "format": "syft.encrypted/2"}
    with pytest.raises(UnsupportedVersionError, match=r"syft\.encrypted/2"):
        encrypted_from_json(data, public_key=paillier_keys_small[0])


def test_future_binary_version_with_a_valid_checksum_is_reported_as_unsupported(
    sample, paillier_keys_small
):
    body = bytearray(encrypted_to_bytes(sample)[:-32])
    body[4] = 2
    blob = bytes(body) + hashlib.sha256(bytes(body)).digest()
    with pytest.raises(UnsupportedVersionError, match="version 2"):
        encrypted_from_bytes(blob, public_key=paillier_keys_small[0])


@pytest.mark.parametrize(
    "change",
    [
        {"format": "something/1"},
        {"shape": "2x2"},
        {"shape": [2, -2]},
        {"shape": [2, 2.0]},
        {"shape": [5]},  # five values declared, four listed
        {"exponent": 1.5},
        {"exponent": True},
        {"exponent": 2**16},
        {"magnitude_bits": -1},
        {"magnitude_bits": 10**6},
        {"key_fingerprint": 7},
        {"ciphertexts": "abc"},
        {"ciphertexts": ["00"] * 3},
        {"extra": 1},
    ],
    ids=repr,
)
def test_malformed_json_fields_are_rejected(sample, paillier_keys_small, change):
    data = {**encrypted_to_json(sample), **change}
    with pytest.raises(MalformedPayloadError):
        encrypted_from_json(data, public_key=paillier_keys_small[0])


@pytest.mark.parametrize("bad", ["0x12", "zz", "", "-1f", 17, None], ids=repr)
def test_json_ciphertexts_that_are_not_bare_hex_are_rejected_naming_the_index(
    sample, paillier_keys_small, bad
):
    data = encrypted_to_json(sample)
    data["ciphertexts"][3] = bad
    with pytest.raises(MalformedPayloadError, match="index 3"):
        encrypted_from_json(data, public_key=paillier_keys_small[0])


def test_missing_json_field_is_named(sample, paillier_keys_small):
    data = encrypted_to_json(sample)
    del data["exponent"]
    with pytest.raises(MalformedPayloadError, match="missing exponent"):
        encrypted_from_json(data, public_key=paillier_keys_small[0])


@pytest.mark.parametrize(
    "text",
    [b'{"format": "syft.encrypted/1", "format": "syft.encrypted/1"}', b'{"exponent": NaN}', b"[]"],
    ids=repr,
)
def test_json_with_duplicate_keys_nan_or_the_wrong_top_level_type_is_rejected(
    text, paillier_keys_small
):
    with pytest.raises(MalformedPayloadError):
        encrypted_loads(text, public_key=paillier_keys_small[0])


@pytest.mark.parametrize("blob", [b"", b"hello", b"\x00" * 200, b"SYF"], ids=repr)
def test_bytes_that_are_neither_form_are_rejected(blob, paillier_keys_small):
    with pytest.raises(MalformedPayloadError):
        encrypted_loads(blob, public_key=paillier_keys_small[0])


def test_invalid_ciphertexts_inside_a_valid_payload_get_their_own_errors(
    sample, paillier_keys_small
):
    public_key, private_key = paillier_keys_small
    data = encrypted_to_json(sample)
    data["ciphertexts"][2] = "1" + "0" * len(data["ciphertexts"][2])
    with pytest.raises(MalformedPayloadError, match="at most"):
        encrypted_from_json(data, public_key=public_key)
    for out_of_range in (0, int(public_key.nsquare), int(public_key.nsquare) + 1):
        data["ciphertexts"][2] = format(out_of_range, "x")
        with pytest.raises(CiphertextOutOfRangeError, match="index 2"):
            encrypted_from_json(data, public_key=public_key)
    data["ciphertexts"][2] = format(int(private_key.q) * 3, "x")
    with pytest.raises(CiphertextNotInvertibleError, match="index 2"):
        encrypted_from_json(data, public_key=public_key)


def test_binary_ciphertext_of_n_squared_is_rejected_even_with_a_valid_checksum(
    sample, paillier_keys_small
):
    public_key = paillier_keys_small[0]
    width = (int(public_key.nsquare).bit_length() + 7) // 8
    body = bytearray(encrypted_to_bytes(sample)[:-32])
    body[56 : 56 + width] = int(public_key.nsquare).to_bytes(width, "big")
    blob = bytes(body) + hashlib.sha256(bytes(body)).digest()
    with pytest.raises(CiphertextOutOfRangeError, match="index 0"):
        encrypted_from_bytes(blob, public_key=public_key)


def test_json_without_a_magnitude_bound_assumes_values_below_two_to_the_64(
    sample, paillier_keys_small
):
    data = encrypted_to_json(sample)
    del data["magnitude_bits"]
    restored = encrypted_from_json(data, public_key=paillier_keys_small[0])
    assert restored.magnitude_bits == sample.exponent + 64
    assert restored.ciphertexts == sample.ciphertexts


def test_2048_bit_ciphertexts_round_trip_in_both_forms(paillier_keys_2048):
    public_key, private_key = paillier_keys_2048
    original = EncryptedArray.encrypt(public_key, [0.25, -1e6, 3.0])
    binary = encrypted_to_bytes(original)
    assert len(binary) == 48 + 4 + 3 * 512 + 32
    for blob in (binary, encrypted_dumps(original, form="json")):
        restored = encrypted_loads(blob, public_key=public_key, expected_shape=(3,))
        np.testing.assert_array_equal(restored.decrypt(private_key), [0.25, -1e6, 3.0])
