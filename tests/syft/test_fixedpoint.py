import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from syft.errors import EncodingOverflowError, InvalidDataError
from syft.fixedpoint import choose_exponent, decode, encode, shift_round

N = (1 << 127) - 1  # A Mersenne prime stands in for a Paillier modulus here.
MAX_INT = N // 3 - 1

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def to_residues(integers: list[int]) -> list[int]:
    """What decryption returns: negatives as n - |x|."""
    return [value % N for value in integers]


@given(arrays(np.float64, st.integers(1, 20), elements=finite))
def test_encode_then_decode_returns_every_value_to_within_its_scale(values):
    integers, exponent = encode(values, max_int=MAX_INT)
    decoded = decode(to_residues(integers), exponent, n=N)
    largest = float(np.max(np.abs(values)))
    # One scale per vector: each value is exact to half a unit of 2**-exponent.
    assert np.all(np.abs(decoded - values) <= 2.0 ** (-exponent - 1) * (1 + 1e-12))
    if largest:
        assert np.all(np.abs(decoded - values) <= largest * 2.0**-52)


def test_chosen_exponent_keeps_53_significant_bits_for_the_largest_value():
    values = np.array([0.75, -3.0, 1e-9])
    integers, exponent = encode(values, max_int=MAX_INT)
    assert exponent == 53 - 2  # 3.0 < 2**2
    assert max(abs(value) for value in integers).bit_length() == 53
    assert integers[1] == -3 * 2**51


def test_integers_are_encoded_exactly_at_scale_one():
    integers, exponent = encode(np.array([3, -4, 0]), max_int=MAX_INT)
    assert (integers, exponent) == ([3, -4, 0], 0)
    assert choose_exponent(np.array([7])) == 0


def test_all_zero_vector_gets_the_precision_as_exponent():
    assert choose_exponent(np.zeros(3)) == 53


def test_explicit_exponent_is_used_and_rounds_to_nearest():
    integers, exponent = encode(np.array([0.3, -0.3]), exponent=4, max_int=MAX_INT)
    assert exponent == 4
    assert integers == [5, -5]  # 0.3 * 16 = 4.8


def test_negative_exponents_scale_large_values_down():
    integers, exponent = encode(np.array([3.0 * 2**80]), max_int=MAX_INT)
    assert exponent < 0
    assert decode(to_residues(integers), exponent, n=N)[0] == 3.0 * 2**80


def test_encode_refuses_values_that_do_not_fit_the_plaintext_space():
    with pytest.raises(EncodingOverflowError, match="index 1"):
        encode(np.array([1.0, 2.0**80]), exponent=60, max_int=MAX_INT)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_encode_refuses_values_that_are_not_finite(bad):
    with pytest.raises(InvalidDataError, match="index 2"):
        encode(np.array([1.0, 2.0, bad]), max_int=MAX_INT)


def test_decode_reads_residues_above_two_thirds_of_n_as_negative():
    assert decode([N - 8], 2, n=N)[0] == -2.0
    assert decode([8], 2, n=N)[0] == 2.0


def test_decode_refuses_residues_in_the_overflow_band():
    with pytest.raises(EncodingOverflowError, match="overflow band"):
        decode([N // 2], 0, n=N)


@pytest.mark.parametrize(
    ("value", "shift", "expected"),
    [(5, -1, 2), (7, -1, 4), (-5, -1, -2), (-7, -1, -4), (3, 2, 12), (6, -2, 2), (-6, -2, -2)],
)
def test_shift_round_rounds_half_to_even(value, shift, expected):
    assert shift_round(value, shift) == expected
