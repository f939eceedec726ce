import gmpy2
import pytest

from syft.encrypted import EncryptedArray
from syft.errors import (
    CiphertextNotInvertibleError,
    CiphertextOutOfRangeError,
    MalformedPayloadError,
    PayloadTooLargeError,
    ShapeMismatchError,
)
from syft.validation import validate_ciphertexts


@pytest.fixture
def good(paillier_keys):
    return EncryptedArray.encrypt(paillier_keys[0], [1.0, -2.0, 3.0]).ciphertexts


def test_valid_ciphertexts_pass(paillier_keys, good):
    validate_ciphertexts(good, public_key=paillier_keys[0], expected_shape=(3,))
    validate_ciphertexts(
        [gmpy2.mpz(value) for value in good], public_key=paillier_keys[0], expected_shape=None
    )


@pytest.mark.parametrize("make_bad", [lambda n: 0, lambda n: -5, lambda n: n * n, lambda n: n**3])
def test_ciphertext_outside_zero_to_n_squared_is_rejected_naming_its_index(
    paillier_keys, good, make_bad
):
    public_key = paillier_keys[0]
    ciphertexts = [*good[:2], make_bad(int(public_key.n))]
    with pytest.raises(CiphertextOutOfRangeError, match="index 2"):
        validate_ciphertexts(ciphertexts, public_key=public_key, expected_shape=(3,))


@pytest.mark.parametrize("factor", ["p", "q", "n"])
def test_ciphertext_sharing_a_factor_with_n_is_rejected_naming_its_index(
    paillier_keys, good, factor
):
    public_key, private_key = paillier_keys
    value = {"p": private_key.p * 12345, "q": private_key.q, "n": public_key.n}[factor]
    ciphertexts = [good[0], value, good[2]]
    with pytest.raises(CiphertextNotInvertibleError, match="index 1"):
        validate_ciphertexts(ciphertexts, public_key=public_key, expected_shape=(3,))


@pytest.mark.parametrize("bad", ["123", 1.0, True, None, b"\x01"], ids=repr)
def test_ciphertext_of_the_wrong_type_is_rejected(paillier_keys, good, bad):
    with pytest.raises(MalformedPayloadError, match="index 0"):
        validate_ciphertexts([bad, *good[1:]], public_key=paillier_keys[0], expected_shape=(3,))


def test_wrong_number_of_ciphertexts_is_a_shape_mismatch_that_gives_both_counts(paillier_keys):
    public_key = paillier_keys[0]
    ciphertexts = EncryptedArray.encrypt(public_key, [0.0] * 12).ciphertexts
    with pytest.raises(ShapeMismatchError, match="has 12 values; expected 10"):
        validate_ciphertexts(ciphertexts, public_key=public_key, expected_shape=(10,))


def test_more_values_than_the_limit_is_rejected_before_any_arithmetic(paillier_keys):
    # Zeros would fail the range check: reaching the size check first proves the order.
    with pytest.raises(PayloadTooLargeError, match="limit is 5"):
        validate_ciphertexts(
            [0] * 6, public_key=paillier_keys[0], expected_shape=None, max_values=5
        )


def test_ciphertexts_valid_under_another_key_can_be_out_of_range_for_this_one(
    paillier_keys, paillier_keys_small
):
    # A 1024-bit key's ciphertexts are mostly larger than a 512-bit key's n².
    big = EncryptedArray.encrypt(paillier_keys[0], [1.0] * 4).ciphertexts
    with pytest.raises(CiphertextOutOfRangeError):
        validate_ciphertexts(big, public_key=paillier_keys_small[0], expected_shape=(4,))
