"""Fixed-point encoding with one power-of-two scale per vector: value = integer / 2**exponent."""

import math
from collections.abc import Iterable

import numpy as np

from syft.errors import EncodingOverflowError, InvalidDataError

__all__ = ["DEFAULT_PRECISION_BITS", "choose_exponent", "decode", "encode", "shift_round"]

# float64 carries 53 significant bits; keeping as many for the largest value loses nothing.
DEFAULT_PRECISION_BITS = 53


def shift_round(value: int, shift: int) -> int:
    """Return value * 2**shift rounded to the nearest integer (ties to even), exactly."""
    if shift >= 0:
        return value << shift
    divisor_bits = -shift
    quotient = value >> divisor_bits
    remainder = value - (quotient << divisor_bits)
    half = 1 << (divisor_bits - 1)
    if remainder > half or (remainder == half and quotient & 1):
        quotient += 1
    return quotient


def _as_array(values: np.ndarray | Iterable[float] | float) -> np.ndarray:
    """Return values as a numeric numpy array, refusing anything that is not finite."""
    array = np.asarray(values)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise InvalidDataError(f"Expected numbers, got an array of {array.dtype}.")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        index = int(np.flatnonzero(~np.isfinite(array.ravel()))[0])
        raise InvalidDataError(f"Value at index {index} is not finite; encode only real numbers.")
    return array


def choose_exponent(
    values: np.ndarray | Iterable[float] | float, precision_bits: int = DEFAULT_PRECISION_BITS
) -> int:
    """Return the exponent that keeps `precision_bits` significant bits of the largest |value|."""
    array = _as_array(values)
    if np.issubdtype(array.dtype, np.integer):
        # Integers are exact at scale 1; a finer scale would only waste headroom.
        return 0
    largest = float(np.max(np.abs(array))) if array.size else 0.0
    if largest == 0.0:
        return precision_bits
    _, top = math.frexp(largest)  # largest < 2**top
    return precision_bits - top


def encode(
    values: np.ndarray | Iterable[float] | float,
    *,
    exponent: int | None = None,
    precision_bits: int = DEFAULT_PRECISION_BITS,
    max_int: int,
) -> tuple[list[int], int]:
    """Encode values (flattened) as signed integers at one scale; return them and the exponent."""
    array = _as_array(values)
    if exponent is None:
        exponent = choose_exponent(array, precision_bits)
    elif isinstance(exponent, bool) or not isinstance(exponent, int | np.integer):
        raise InvalidDataError(f"Exponent must be an integer, not {exponent!r}.")
    exponent = int(exponent)
    integers: list[int] = []
    limit_bits = int(max_int).bit_length()
    for index, value in enumerate(array.ravel().tolist()):
        numerator, denominator = value.as_integer_ratio()
        # The denominator of a float is a power of two, so the scaling is a pure shift.
        integer = shift_round(numerator, exponent - (denominator.bit_length() - 1))
        if abs(integer) > max_int:
            raise EncodingOverflowError(
                f"Value {value!r} at index {index} needs {abs(integer).bit_length()} bits at "
                f"exponent {exponent}; the key's plaintext space holds {limit_bits - 1}."
            )
        integers.append(integer)
    return integers, exponent


def decode(integers: Iterable[int], exponent: int, *, n: int) -> np.ndarray:
    """Decode plaintexts in [0, n) (negatives stored as n - |x|) at one scale to float64."""
    n = int(n)
    max_int = n // 3 - 1
    out: list[float] = []
    for index, raw in enumerate(integers):
        value = int(raw)
        if not 0 <= value < n:
            raise EncodingOverflowError(f"Plaintext at index {index} is outside [0, n).")
        if value > max_int:
            if value < n - max_int:
                raise EncodingOverflowError(
                    f"Plaintext at index {index} lies in the overflow band between n/3 and 2n/3: "
                    "the computation exceeded the key's plaintext space."
                )
            value -= n
        try:
            out.append(value / (1 << exponent) if exponent >= 0 else float(value << -exponent))
        except OverflowError:
            raise EncodingOverflowError(
                f"Plaintext at index {index} is too large for a float64 at exponent {exponent}."
            ) from None
    return np.asarray(out, dtype=np.float64)
