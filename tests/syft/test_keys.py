import hashlib
import json
import math

import numpy as np
import pytest

from syft.encrypted import EncryptedArray
from syft.errors import InsecureKeyError, KeyMismatchError, MalformedPayloadError
from syft.keys import (
    keypair_generate,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_fingerprint,
    public_key_from_dict,
    public_key_to_dict,
)


@pytest.mark.parametrize("bits", [512, 1024, 2047])
def test_keypair_generate_refuses_keys_shorter_than_2048_bits_without_the_test_flag(bits):
    with pytest.raises(InsecureKeyError, match=f"{bits}-bit.*allow_insecure_for_tests"):
        keypair_generate(bits)


def test_keypair_generate_refuses_tiny_keys_even_with_the_test_flag():
    with pytest.raises(InsecureKeyError, match="at least 256"):
        keypair_generate(128, allow_insecure_for_tests=True)


def test_test_flag_allows_a_short_key_of_exactly_the_requested_size(paillier_keys):
    public_key, _ = paillier_keys
    assert int(public_key.n).bit_length() == 1024


def test_default_key_has_2048_bits(paillier_keys_2048):
    public_key, private_key = paillier_keys_2048
    assert int(public_key.n).bit_length() == 2048
    assert private_key.p * private_key.q == public_key.n


def test_fingerprint_is_sha256_of_n_as_big_endian_bytes(paillier_keys):
    public_key, _ = paillier_keys
    n = int(public_key.n)
    expected = hashlib.sha256(n.to_bytes(128, "big")).hexdigest()
    assert public_key_fingerprint(public_key) == expected


def test_fingerprints_of_different_keys_differ(paillier_keys, paillier_keys_other):
    assert public_key_fingerprint(paillier_keys[0]) != public_key_fingerprint(
        paillier_keys_other[0]
    )


def test_public_key_dict_round_trips_through_json(paillier_keys_2048):
    public_key, _ = paillier_keys_2048
    data = json.loads(json.dumps(public_key_to_dict(public_key)))
    assert data["scheme"] == "paillier"
    assert data["bits"] == 2048
    assert public_key_from_dict(data) == public_key


def test_public_key_from_dict_refuses_a_short_key_unless_told_it_is_a_test(paillier_keys):
    data = public_key_to_dict(paillier_keys[0])
    with pytest.raises(InsecureKeyError):
        public_key_from_dict(data)
    assert public_key_from_dict(data, allow_insecure_for_tests=True) == paillier_keys[0]


def test_public_key_from_dict_detects_a_fingerprint_that_does_not_match_n(
    paillier_keys, paillier_keys_other
):
    data = public_key_to_dict(paillier_keys[0])
    data["fingerprint"] = public_key_fingerprint(paillier_keys_other[0])
    with pytest.raises(KeyMismatchError, match="fingerprint"):
        public_key_from_dict(data, allow_insecure_for_tests=True)


@pytest.mark.parametrize(
    "change",
    [
        {"scheme": "rsa"},
        {"n": "0x1234"},
        {"n": "-abc"},
        {"n": ""},
        {"n": 12345},
        {"bits": "1024"},
        {"bits": 1023},
        {"fingerprint": None},
    ],
    ids=repr,
)
def test_public_key_from_dict_rejects_malformed_fields(paillier_keys, change):
    data = {**public_key_to_dict(paillier_keys[0]), **change}
    with pytest.raises(MalformedPayloadError):
        public_key_from_dict(data, allow_insecure_for_tests=True)


def test_public_key_from_dict_rejects_an_even_modulus(paillier_keys):
    data = public_key_to_dict(paillier_keys[0])
    n = int(data["n"], 16) + 1
    data.update(n=format(n, "x"), bits=n.bit_length())
    with pytest.raises(MalformedPayloadError, match="small factor"):
        public_key_from_dict(data, allow_insecure_for_tests=True)


@pytest.mark.parametrize("data", [None, [], "paillier", {"scheme": "paillier"}], ids=repr)
def test_public_key_from_dict_rejects_non_dicts_and_missing_fields(data):
    with pytest.raises(MalformedPayloadError):
        public_key_from_dict(data)


def test_private_key_bytes_round_trip_decrypts_what_the_original_encrypted(paillier_keys):
    public_key, private_key = paillier_keys
    restored = private_key_from_bytes(private_key_to_bytes(private_key))
    values = np.array([1.5, -2.25, 1e6])
    encrypted = EncryptedArray.encrypt(public_key, values)
    assert restored.public_key == public_key
    np.testing.assert_array_equal(encrypted.decrypt(restored), values)


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"{}", b'{"format":"syft.paillier-private/1","p":"7","q":"7"}', "text"],
    ids=repr,
)
def test_private_key_from_bytes_rejects_garbage(data):
    with pytest.raises(MalformedPayloadError):
        private_key_from_bytes(data)


def test_private_key_from_bytes_rejects_composite_factors_without_echoing_them(paillier_keys):
    _, private_key = paillier_keys
    payload = json.loads(private_key_to_bytes(private_key))
    payload["q"] = format(int(private_key.q) * 3, "x")
    with pytest.raises(MalformedPayloadError) as raised:
        private_key_from_bytes(json.dumps(payload).encode())
    assert payload["q"] not in str(raised.value)
    assert payload["p"] not in str(raised.value)


def test_private_key_repr_and_str_reveal_neither_factors_nor_lambda(paillier_keys):
    _, private_key = paillier_keys
    p, q = int(private_key.p), int(private_key.q)
    secrets = {p, q, (p - 1) * (q - 1), (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)}
    shown = repr(private_key) + str(private_key) + f"{private_key}" + f"{private_key!r}"
    for secret in secrets:
        for spelling in (str(secret), format(secret, "x"), format(secret, "X")):
            # Any 16-digit run of a secret would already be a leak.
            assert spelling[:16] not in shown
    assert "PaillierPrivateKey" in shown
