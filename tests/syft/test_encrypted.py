import gmpy2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syft import encrypted as encrypted_module
from syft import multiexp
from syft.encrypted import EncryptedArray, plaintext_matvec, stack
from syft.errors import (
    CiphertextNotInvertibleError,
    HeadroomExhaustedError,
    KeyMismatchError,
    ShapeMismatchError,
    SyftError,
)
from syft.multiexp import power_products
from syft.parallel import set_workers


@pytest.fixture
def values(rng):
    return rng.normal(size=(3, 4)) * 10


def test_encrypt_then_decrypt_returns_the_values_in_the_same_shape(paillier_keys, values):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    assert encrypted.shape == (3, 4)
    assert encrypted.size == 12
    assert len(encrypted) == 3
    np.testing.assert_allclose(encrypted.decrypt(private_key), values, rtol=1e-15, atol=1e-14)


def test_own_crt_decryption_agrees_with_phe(paillier_keys, values):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    ours = encrypted_module._decrypt_integers(private_key, encrypted._ciphertexts)
    assert ours == [private_key.raw_decrypt(value) for value in encrypted.ciphertexts]


def test_encrypting_the_same_values_twice_gives_different_ciphertexts(paillier_keys):
    public_key, _ = paillier_keys
    first = EncryptedArray.encrypt(public_key, [1.0, 2.0])
    second = EncryptedArray.encrypt(public_key, [1.0, 2.0])
    assert set(first.ciphertexts).isdisjoint(second.ciphertexts)


def test_sum_difference_and_negation_match_numpy(paillier_keys, rng):
    public_key, private_key = paillier_keys
    a, b = rng.normal(size=5), rng.normal(size=5) * 1e3
    ea, eb = EncryptedArray.encrypt(public_key, a), EncryptedArray.encrypt(public_key, b)
    np.testing.assert_allclose((ea + eb).decrypt(private_key), a + b, rtol=1e-12)
    np.testing.assert_allclose((ea - eb).decrypt(private_key), a - b, rtol=1e-12)
    np.testing.assert_allclose((-ea).decrypt(private_key), -a, rtol=1e-15)


def test_adding_encrypted_arrays_aligns_their_scales_to_the_finer_one(paillier_keys):
    public_key, private_key = paillier_keys
    coarse = EncryptedArray.encrypt(public_key, [1.0, 2.0], exponent=3)
    fine = EncryptedArray.encrypt(public_key, [0.001, -0.002], exponent=40)
    total = coarse + fine
    assert total.exponent == 40
    np.testing.assert_allclose(total.decrypt(private_key), [1.001, 1.998], rtol=1e-12)


def test_plaintext_addition_and_subtraction_broadcast(paillier_keys, values):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    np.testing.assert_allclose((encrypted + 2.5).decrypt(private_key), values + 2.5, rtol=1e-12)
    row = np.array([1.0, -2.0, 3.0, -4.0])
    np.testing.assert_allclose((encrypted - row).decrypt(private_key), values - row, rtol=1e-12)
    np.testing.assert_allclose((row - encrypted).decrypt(private_key), row - values, rtol=1e-12)
    np.testing.assert_allclose((row + encrypted).decrypt(private_key), row + values, rtol=1e-12)


def test_adding_a_plaintext_constant_keeps_the_ciphertexts_randomness(paillier_keys):
    public_key, _ = paillier_keys
    zero = EncryptedArray.encrypt(public_key, [0.0, 0.0])
    # c * (1 + 0 * n) = c: adding zero must not touch the ciphertext at all.
    assert (zero + 0.0).ciphertexts == zero.ciphertexts


def test_multiply_by_plaintext_scalars_and_arrays_matches_numpy(paillier_keys, values, rng):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    factors = rng.normal(size=(3, 4))
    np.testing.assert_allclose(
        encrypted.multiply(factors).decrypt(private_key), values * factors, rtol=1e-12
    )
    np.testing.assert_allclose((encrypted * -0.5).decrypt(private_key), values * -0.5, rtol=1e-12)
    np.testing.assert_allclose((3 * encrypted).decrypt(private_key), values * 3, rtol=1e-12)
    np.testing.assert_array_equal(encrypted.multiply(0).decrypt(private_key), np.zeros((3, 4)))


def test_multiplying_two_ciphertexts_is_refused(paillier_keys):
    public_key, _ = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, [1.0])
    with pytest.raises(TypeError, match="cannot multiply two ciphertexts"):
        encrypted.multiply(encrypted)


def test_obfuscate_changes_every_ciphertext_but_no_value(paillier_keys, values):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    fresh = encrypted.obfuscate()
    assert set(fresh.ciphertexts).isdisjoint(encrypted.ciphertexts)
    np.testing.assert_array_equal(fresh.decrypt(private_key), encrypted.decrypt(private_key))


def test_reshape_transpose_indexing_and_stack_move_values_like_numpy(paillier_keys, values):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, values)
    plain = encrypted.decrypt(private_key)
    np.testing.assert_array_equal(encrypted.reshape(-1).decrypt(private_key), plain.ravel())
    np.testing.assert_array_equal(encrypted.reshape(2, 6).decrypt(private_key), plain.reshape(2, 6))
    np.testing.assert_array_equal(encrypted.T.decrypt(private_key), plain.T)
    np.testing.assert_array_equal(encrypted[-1].decrypt(private_key), plain[-1])
    stacked = stack([encrypted[0], encrypted[2].multiply(2.0)])
    np.testing.assert_allclose(
        stacked.decrypt(private_key), np.stack([plain[0], 2 * plain[2]]), rtol=1e-14
    )
    with pytest.raises(ShapeMismatchError):
        encrypted.reshape(5, 5)


def test_combining_arrays_under_different_keys_is_refused(paillier_keys, paillier_keys_other):
    mine = EncryptedArray.encrypt(paillier_keys[0], [1.0])
    theirs = EncryptedArray.encrypt(paillier_keys_other[0], [1.0])
    with pytest.raises(KeyMismatchError):
        mine + theirs
    with pytest.raises(KeyMismatchError):
        mine.decrypt(paillier_keys_other[1])


def test_adding_arrays_of_different_shapes_is_refused(paillier_keys):
    public_key, _ = paillier_keys
    with pytest.raises(ShapeMismatchError, match=r"\(2,\) and \(3,\)"):
        EncryptedArray.encrypt(public_key, [1.0, 2.0]) + EncryptedArray.encrypt(
            public_key, [1.0, 2.0, 3.0]
        )


def test_the_scale_cannot_be_lowered_without_the_private_key(paillier_keys):
    encrypted = EncryptedArray.encrypt(paillier_keys[0], [1.0], exponent=20)
    with pytest.raises(SyftError, match="Cannot lower the scale"):
        encrypted.rescaled(10)


def test_headroom_shrinks_with_each_multiplication_and_runs_out_before_overflow(paillier_keys):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, [1.5, -0.75])
    start = encrypted.headroom_bits()
    assert 900 < start < 1024
    current, steps = encrypted, 0
    with pytest.raises(HeadroomExhaustedError, match="refresh"):
        while True:
            current = current.multiply(0.9)
            steps += 1
            # Every value we could still hold decrypts correctly: no silent overflow.
            np.testing.assert_allclose(
                current.decrypt(private_key), [1.5 * 0.9**steps, -0.75 * 0.9**steps], rtol=1e-9
            )
    assert current.headroom_bits() < 53 <= start
    assert steps == start // 53


def test_refreshing_restores_headroom_and_keeps_the_values(paillier_keys):
    public_key, private_key = paillier_keys
    tired = EncryptedArray.encrypt(public_key, [2.0, -1.0]).multiply(0.3).multiply(0.7)
    fresh = tired.refreshed(private_key)
    assert fresh.headroom_bits() > tired.headroom_bits() + 100
    np.testing.assert_allclose(fresh.decrypt(private_key), [0.42, -0.21], rtol=1e-14)


def test_matvec_matches_numpy_with_negative_entries(paillier_keys, rng):
    public_key, private_key = paillier_keys
    matrix = rng.normal(size=(6, 9)) * 50
    weights = rng.normal(size=9)
    result = plaintext_matvec(matrix, EncryptedArray.encrypt(public_key, weights))
    assert result.shape == (6,)
    np.testing.assert_allclose(result.decrypt(private_key), matrix @ weights, rtol=1e-12)


def test_matvec_on_a_matrix_of_encrypted_columns_matches_numpy(paillier_keys, rng):
    public_key, private_key = paillier_keys
    matrix = rng.normal(size=(4, 5))
    weights = rng.normal(size=(5, 3))
    result = plaintext_matvec(matrix, EncryptedArray.encrypt(public_key, weights))
    assert result.shape == (4, 3)
    np.testing.assert_allclose(result.decrypt(private_key), matrix @ weights, rtol=1e-11)


def test_batched_matvec_multiplies_each_encrypted_row_by_its_own_matrix(paillier_keys, rng):
    public_key, private_key = paillier_keys
    matrices = rng.normal(size=(3, 4, 5))
    weights = rng.normal(size=(3, 5))
    result = plaintext_matvec(matrices, EncryptedArray.encrypt(public_key, weights))
    assert result.shape == (3, 4)
    expected = np.einsum("qrd,qd->qr", matrices, weights)
    np.testing.assert_allclose(result.decrypt(private_key), expected, rtol=1e-11)


def test_matvec_outputs_share_one_scale(paillier_keys, rng):
    public_key, _ = paillier_keys
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=3))
    matrix = np.array([[1e-6, 2.0, 3.0], [4.0, 5.0, 1e3]])
    result = plaintext_matvec(matrix, weights)
    assert result.exponent == weights.exponent + (53 - 10)  # 1e3 < 2**10


def test_matvec_equals_the_product_of_naive_powmods_ciphertext_for_ciphertext(paillier_keys, rng):
    public_key, _ = paillier_keys
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=4))
    matrix = np.array([[3, -2, 0, 7], [-1, 0, 0, 0], [0, 0, 0, 0]])
    result = plaintext_matvec(matrix, weights)
    nsquare = gmpy2.mpz(public_key.nsquare)
    for row, ciphertext in zip(matrix, result.ciphertexts, strict=True):
        expected = gmpy2.mpz(1)
        for base, exponent in zip(weights.ciphertexts, row, strict=True):
            expected = expected * gmpy2.powmod(base, int(exponent), nsquare) % nsquare
        assert ciphertext == expected


def test_matvec_refuses_shapes_that_do_not_line_up(paillier_keys):
    weights = EncryptedArray.encrypt(paillier_keys[0], [1.0, 2.0])
    with pytest.raises(ShapeMismatchError, match=r"\(3, 3\)"):
        plaintext_matvec(np.eye(3), weights)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(-(2**70), 2**70), min_size=width, max_size=width),
            min_size=1,
            max_size=4,
        )
    ),
    st.integers(2, 9),
)
def test_power_products_equal_naive_powmods_for_any_signed_exponents(rows, window):
    modulus = gmpy2.mpz(1009 * 1013) ** 2
    bases = [gmpy2.mpz(7 + 11 * j) for j in range(len(rows[0]))]
    expected = []
    for row in rows:
        product = gmpy2.mpz(1)
        for base, exponent in zip(bases, row, strict=True):
            product = product * gmpy2.powmod(base, exponent, modulus) % modulus
        expected.append(product)
    assert power_products(modulus, bases, rows, window) == expected
    assert power_products(modulus, bases, rows) == expected


def test_power_products_name_a_base_that_has_no_inverse():
    modulus = gmpy2.mpz(15) ** 2
    with pytest.raises(CiphertextNotInvertibleError, match="index 1"):
        power_products(modulus, [2, 5], [[1, -1]])


def test_process_pool_gives_the_same_ciphertexts_as_in_process(paillier_keys, rng, monkeypatch):
    public_key, private_key = paillier_keys
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=(7, 2)))
    matrix = rng.normal(size=(7, 7))
    set_workers(1)
    try:
        alone = plaintext_matvec(matrix, weights)
        monkeypatch.setattr(encrypted_module, "PARALLEL_MIN_WORK", 0)
        set_workers(2)
        pooled = plaintext_matvec(matrix, weights)
    finally:
        set_workers(None)
    assert pooled.ciphertexts == alone.ciphertexts
    np.testing.assert_allclose(
        pooled.decrypt(private_key), matrix @ weights.decrypt(private_key), rtol=1e-12
    )


def test_encrypted_array_repr_shows_no_ciphertext(paillier_keys):
    encrypted = EncryptedArray.encrypt(paillier_keys[0], [1.0])
    shown = repr(encrypted)
    assert str(encrypted.ciphertexts[0])[:12] not in shown
    assert format(encrypted.ciphertexts[0], "x")[:12] not in shown
    assert "shape=(1,)" in shown


def test_numpy_on_the_left_defers_to_the_encrypted_array(paillier_keys):
    public_key, private_key = paillier_keys
    encrypted = EncryptedArray.encrypt(public_key, [1.0, 2.0])
    total = np.array([0.5, 0.5]) + encrypted
    assert isinstance(total, EncryptedArray)
    np.testing.assert_allclose(total.decrypt(private_key), [1.5, 2.5])


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(-(2**62) + 1, 2**62 - 1), min_size=3, max_size=3),
        min_size=1,
        max_size=3,
    ),
    st.integers(2, 9),
)
def test_vectorised_digit_schedule_agrees_with_exponent_by_exponent_digits(rows, window):
    max_bits = max(abs(e).bit_length() for row in rows for e in row)
    fast = multiexp._digit_schedule(rows, window, max_bits + 1)
    slow = multiexp._python_schedule(rows, window)
    assert [sorted(entries) for entries in fast] == [sorted(entries) for entries in slow]
    for row, entries in zip(rows, fast, strict=True):
        rebuilt = [0] * len(row)
        for position, column, digit in entries:
            rebuilt[column] += digit << position
        assert rebuilt == row
