"""Packed gradients (wire format v2): exact against unpacked values, and hostile ones refused."""

import hashlib
import json
import secrets

import numpy as np
import pytest
from gmpy2 import mpz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syft.encrypted import EncryptedArray
from syft.errors import (
    EncodingOverflowError,
    KeyMismatchError,
    MalformedPayloadError,
    ShapeMismatchError,
    SlotOutOfBoundError,
    UnsupportedVersionError,
)
from syft.models import GRADIENT_PRECISION_BITS, LinearRegression, OneVsRestLogisticRegression
from syft.obfuscation import ObfuscationPool
from syft.packing import (
    PackedArray,
    pack,
    packed_add,
    packed_decrypt,
    packed_integers,
    packing_layout,
)
from syft.wire import encrypted_dumps
from syft.wire_packed import (
    gradient_loads,
    packed_dumps,
    packed_from_json,
    packed_to_bytes,
    packed_to_json,
)


def encrypt_integers(public_key, integers, *, exponent=0, magnitude_bits=None):
    """Exact signed integers as an EncryptedArray (floats would round values above 2**53)."""
    n = int(public_key.n)
    ciphertexts = [public_key.raw_encrypt(value % n) for value in integers]
    bits = max(abs(v).bit_length() for v in integers) if magnitude_bits is None else magnitude_bits
    return EncryptedArray(
        public_key,
        ciphertexts,
        shape=(len(integers),),
        exponent=exponent,
        magnitude_bits=bits,
    )


def forge(public_key, packed, plaintexts):
    """The same packed array with ciphertexts of plaintexts the attacker chose."""
    return PackedArray(
        public_key,
        [mpz(public_key.raw_encrypt(p % int(public_key.n))) for p in plaintexts],
        shape=packed.shape,
        exponent=packed.exponent,
        layout=packed.layout,
    )


BITS = 60


@pytest.fixture(scope="module")
def bounds_case(paillier_keys):
    """Values at every edge of a 60-bit bound: most negative, -1, zero, 1, largest."""
    public_key, _ = paillier_keys
    top = (1 << BITS) - 1
    values = [-top, -1, 0, 1, top, -(top >> 1), top >> 1] * 4
    array = encrypt_integers(public_key, values, magnitude_bits=BITS)
    return values, array, pack(array)


def test_values_at_the_slot_bounds_decrypt_exactly_as_unpacked(paillier_keys, bounds_case):
    _, private_key = paillier_keys
    values, array, packed = bounds_case
    assert packed.layout.value_bits == BITS
    assert len(packed.ciphertexts) < len(values)  # several values per ciphertext
    assert packed_integers(private_key, packed) == values
    np.testing.assert_array_equal(packed_decrypt(private_key, packed), array.decrypt(private_key))


def test_a_gradient_packs_into_two_ciphertexts_and_decrypts_equal_to_unpacked(paillier_keys, rng):
    public_key, private_key = paillier_keys
    model = LinearRegression(n_features=12)
    X, y = rng.normal(size=(50, 12)), rng.normal(size=50)
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=13))
    gradient = model.encrypted_gradient(
        weights, model.sufficient_statistics(X, y), precision_bits=GRADIENT_PRECISION_BITS
    )
    packed = pack(gradient)
    assert len(packed.ciphertexts) == 2  # 13 values, 1023-bit plaintexts, ~90-bit slots
    np.testing.assert_array_equal(
        packed_decrypt(private_key, packed), gradient.decrypt(private_key)
    )
    exact = model.plaintext_gradient(weights.decrypt(private_key), X, y)
    np.testing.assert_allclose(packed_decrypt(private_key, packed), exact, rtol=1e-7, atol=1e-7)


def test_a_multiclass_gradient_keeps_its_shape(paillier_keys, rng):
    public_key, private_key = paillier_keys
    model = OneVsRestLogisticRegression(n_features=4, n_classes=3)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 3, size=30)
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=(3, 5)))
    gradient = model.encrypted_gradient(weights, model.sufficient_statistics(X, y))
    decrypted = packed_decrypt(private_key, pack(gradient))
    assert decrypted.shape == (3, 5)
    np.testing.assert_array_equal(decrypted, gradient.decrypt(private_key))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bits=st.integers(min_value=1, max_value=100),
    data=st.data(),
)
def test_any_values_within_their_bound_round_trip(paillier_keys_small, bits, data):
    public_key, private_key = paillier_keys_small
    top = (1 << bits) - 1
    values = data.draw(st.lists(st.integers(-top, top), min_size=1, max_size=20))
    packed = pack(encrypt_integers(public_key, values, magnitude_bits=bits))
    assert packed_integers(private_key, packed) == values


def test_a_fixed_public_exponent_and_padded_bound_change_nothing_but_the_header(paillier_keys):
    public_key, private_key = paillier_keys
    array = EncryptedArray.encrypt(public_key, np.array([0.5, -3.25, 0.0, 7.0]))
    packed = pack(array, exponent=array.exponent + 20, value_bits=array.magnitude_bits + 40)
    assert packed.exponent == array.exponent + 20
    assert packed.layout.value_bits == array.magnitude_bits + 40
    np.testing.assert_array_equal(packed_decrypt(private_key, packed), [0.5, -3.25, 0.0, 7.0])


def test_a_mine_cannot_promise_a_tighter_bound_than_its_array_holds(paillier_keys):
    array = encrypt_integers(paillier_keys[0], [5, -5], magnitude_bits=30)
    with pytest.raises(EncodingOverflowError, match="only guarantees"):
        pack(array, value_bits=29)
    with pytest.raises(Exception, match="lower a scale"):
        pack(array, exponent=-1)


def test_a_slot_just_outside_its_bound_is_refused_with_its_index(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    _, _, packed = bounds_case
    layout = packed.layout
    s, offset = layout.slot_bits, layout.offset
    honest = [offset] * layout.slots  # every slot holds 0
    for bad in (0, 2 * offset):  # slot contents for -2**B and +2**B: one past each edge
        slots = list(honest)
        slots[3] = bad
        plaintext = sum(u << (s * i) for i, u in enumerate(slots))
        forged = forge(public_key, packed, [plaintext] + [0] * (len(packed.ciphertexts) - 1))
        with pytest.raises(SlotOutOfBoundError) as caught:
            packed_integers(private_key, forged)
        assert caught.value.reason == "slot_bound"
        assert caught.value.index == 3
        assert "malformed" in str(caught.value)


def test_bits_above_the_last_slot_are_refused(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    _, _, packed = bounds_case
    layout = packed.layout
    honest = sum(layout.offset << (layout.slot_bits * i) for i in range(layout.slots))
    forged = forge(public_key, packed, [honest + (1 << (layout.slot_bits * layout.slots))] * 2)
    with pytest.raises(SlotOutOfBoundError) as caught:
        packed_decrypt(private_key, forged)
    assert caught.value.reason == "overflow"


def test_negating_a_packed_ciphertext_with_an_inverse_mod_n_is_refused(paillier_keys, bounds_case):
    import gmpy2

    public_key, private_key = paillier_keys
    _, _, packed = bounds_case
    nsquare = mpz(public_key.nsquare)
    inverted = [gmpy2.invert(c, nsquare) for c in packed.ciphertexts]
    tampered = PackedArray(
        public_key, inverted, shape=packed.shape, exponent=0, layout=packed.layout
    )
    with pytest.raises(SlotOutOfBoundError, match="malformed"):
        packed_decrypt(private_key, tampered)


def test_a_scalar_multiple_of_an_honest_gradient_is_refused(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    _, _, packed = bounds_case
    nsquare = mpz(public_key.nsquare)
    scaled = PackedArray(
        public_key,
        [c * c % nsquare for c in packed.ciphertexts],  # every offset doubles
        shape=packed.shape,
        exponent=0,
        layout=packed.layout,
    )
    with pytest.raises(SlotOutOfBoundError):
        packed_decrypt(private_key, scaled)


def test_a_declared_bound_above_the_campaigns_is_refused_before_decryption(
    paillier_keys, bounds_case
):
    _, private_key = paillier_keys
    _, _, packed = bounds_case
    with pytest.raises(SlotOutOfBoundError) as caught:
        packed_decrypt(private_key, packed, max_value_bits=BITS - 1)
    assert caught.value.reason == "declared_bound"
    assert packed_integers(private_key, packed, max_value_bits=BITS)  # at the bound: fine


def test_a_value_beyond_the_campaigns_bound_in_real_units_is_refused(paillier_keys):
    public_key, private_key = paillier_keys
    packed = pack(EncryptedArray.encrypt(public_key, np.array([1.0, -2.5, 2.0])))
    np.testing.assert_array_equal(packed_decrypt(private_key, packed, max_abs=2.5), [1, -2.5, 2])
    with pytest.raises(SlotOutOfBoundError) as caught:
        packed_decrypt(private_key, packed, max_abs=2.4)
    assert caught.value.index == 1


def test_the_wrong_private_key_is_refused(paillier_keys_other, bounds_case):
    with pytest.raises(KeyMismatchError):
        packed_decrypt(paillier_keys_other[1], bounds_case[2])


def test_two_packed_gradients_add_within_the_headroom(paillier_keys):
    public_key, private_key = paillier_keys
    top = (1 << 40) - 1
    left = pack(encrypt_integers(public_key, [top, -top, 3], magnitude_bits=40))
    right = pack(encrypt_integers(public_key, [top, -top, -4], magnitude_bits=40))
    total = packed_add(left, right)
    assert total.summands == 2
    assert packed_integers(private_key, total) == [2 * top, -2 * top, -1]
    with pytest.raises(MalformedPayloadError, match="single"):
        packed_to_json(total)


# -- wire format v2 -------------------------------------------------------------------------


def test_json_and_binary_forms_round_trip_and_version_1_stays_readable(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    values, array, packed = bounds_case
    for form in ("json", "binary"):
        restored = gradient_loads(packed_dumps(packed, form=form), public_key=public_key)
        assert isinstance(restored, PackedArray)
        assert packed_integers(private_key, restored) == values
    old = gradient_loads(encrypted_dumps(array), public_key=public_key, expected_shape=(28,))
    assert isinstance(old, EncryptedArray)
    assert old.ciphertexts == array.ciphertexts


def test_a_d30_gradient_under_a_2048_bit_key_uploads_in_under_1200_bytes(paillier_keys_2048, rng):
    public_key, private_key = paillier_keys_2048
    model = LinearRegression(n_features=30)
    X, y = rng.normal(size=(200, 30)), rng.normal(size=200)
    weights = EncryptedArray.encrypt(public_key, rng.normal(size=31))
    gradient = model.encrypted_gradient(
        weights, model.sufficient_statistics(X, y), precision_bits=GRADIENT_PRECISION_BITS
    )
    packed = pack(gradient)
    blob = packed_to_bytes(packed)
    assert len(packed.ciphertexts) == 2
    assert len(blob) <= 1200
    restored = gradient_loads(blob, public_key=public_key, expected_shape=(31,))
    np.testing.assert_array_equal(
        packed_decrypt(private_key, restored), gradient.decrypt(private_key)
    )


def _rechecksum(body: bytes) -> bytes:
    return body + hashlib.sha256(body).digest()


def test_a_binary_payload_with_a_flipped_bit_fails_its_checksum(paillier_keys, bounds_case):
    blob = bytearray(packed_to_bytes(bounds_case[2]))
    blob[100] ^= 1
    with pytest.raises(MalformedPayloadError, match="checksum"):
        gradient_loads(bytes(blob), public_key=paillier_keys[0])


def test_a_rewritten_bound_in_the_header_is_refused(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    blob = bytearray(packed_to_bytes(bounds_case[2])[:-32])
    # value_bits sits at offset 12 (after magic, version, ndim, width, exponent).
    blob[12:16] = (BITS + 3).to_bytes(4, "big")
    with pytest.raises(MalformedPayloadError):
        packed = gradient_loads(_rechecksum(bytes(blob)), public_key=public_key)
        packed_integers(private_key, packed)


def test_json_with_a_wrong_slot_count_or_an_extra_field_is_malformed(paillier_keys, bounds_case):
    public_key, _ = paillier_keys
    good = packed_to_json(bounds_case[2])
    for change in ({"slots": good["slots"] + 1}, {"summands": 16}, {"value_bits": -1}):
        with pytest.raises(MalformedPayloadError):
            packed_from_json({**good, **change}, public_key=public_key)
    with pytest.raises(MalformedPayloadError):
        packed_from_json({**good, "ciphertexts": good["ciphertexts"][:-1]}, public_key=public_key)


def test_an_unknown_binary_version_is_unsupported(paillier_keys, bounds_case):
    blob = bytearray(packed_to_bytes(bounds_case[2])[:-32])
    blob[4] = 3
    with pytest.raises(UnsupportedVersionError):
        gradient_loads(_rechecksum(bytes(blob)), public_key=paillier_keys[0])


def test_a_packed_gradient_of_the_wrong_shape_is_refused(paillier_keys, bounds_case):
    text = json.dumps(packed_to_json(bounds_case[2]))
    with pytest.raises(ShapeMismatchError):
        gradient_loads(text, public_key=paillier_keys[0], expected_shape=(27,))


def test_a_layout_that_cannot_fit_the_key_is_refused(paillier_keys):
    with pytest.raises(EncodingOverflowError):
        packing_layout(n=int(paillier_keys[0].n), value_bits=1100)


# -- the obfuscation pool -------------------------------------------------------------------


def test_the_pool_hands_out_each_randomizer_once_and_counts_misses(paillier_keys):
    public_key, private_key = paillier_keys
    pool = ObfuscationPool(public_key, size=3)
    assert pool.fill() == 3
    first = pool.take(2)
    assert len(pool) == 1
    second = pool.take(2)  # one left in the pool, one made on the spot
    assert pool.misses == 1
    assert len({int(v) for v in first + second}) == 4
    for value in first + second:  # each r**n is an encryption of zero
        assert private_key.raw_decrypt(int(value)) == 0
    assert pool.fill(deadline_s=0) == 0


def test_packing_with_a_pool_uses_it_and_two_packings_never_share_randomness(paillier_keys):
    public_key, private_key = paillier_keys
    pool = ObfuscationPool(public_key, size=4)
    pool.fill()
    array = EncryptedArray.encrypt(public_key, np.arange(5.0))
    one, two = pack(array, pool=pool), pack(array, pool=pool)
    assert len(pool) == 4 - len(one.ciphertexts) - len(two.ciphertexts)
    assert pool.misses == 0
    assert set(map(int, one.ciphertexts)).isdisjoint(map(int, two.ciphertexts))
    np.testing.assert_array_equal(
        packed_decrypt(private_key, one), packed_decrypt(private_key, two)
    )


def test_a_random_ciphertext_is_refused_as_malformed(paillier_keys, bounds_case):
    public_key, private_key = paillier_keys
    packed = bounds_case[2]
    nsquare = int(public_key.nsquare)
    junk = PackedArray(
        public_key,
        [mpz(secrets.randbelow(nsquare - 2) + 1) for _ in packed.ciphertexts],
        shape=packed.shape,
        exponent=0,
        layout=packed.layout,
    )
    with pytest.raises(SlotOutOfBoundError):
        packed_decrypt(private_key, junk)
