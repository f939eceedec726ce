"""Checks for ciphertexts that arrive from outside (mines, the network, storage)."""

import math
from collections.abc import Sequence
from typing import Any

import gmpy2
from phe.paillier import PaillierPublicKey

from syft.errors import (
    CiphertextNotInvertibleError,
    CiphertextOutOfRangeError,
    MalformedPayloadError,
    PayloadTooLargeError,
    ShapeMismatchError,
)

__all__ = ["DEFAULT_MAX_VALUES", "check_shape", "shape_size", "validate_ciphertexts"]

DEFAULT_MAX_VALUES = 1_000_000
MAX_DIMENSIONS = 8


def check_shape(shape: Any) -> tuple[int, ...]:
    """Return shape as a tuple of non-negative ints or raise MalformedPayloadError."""
    if not isinstance(shape, list | tuple):
        raise MalformedPayloadError("Shape must be a list of non-negative integers.")
    if len(shape) > MAX_DIMENSIONS:
        raise MalformedPayloadError(
            f"Shape has {len(shape)} dimensions; at most {MAX_DIMENSIONS} are supported."
        )
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise MalformedPayloadError("Shape must be a list of non-negative integers.")
    return tuple(shape)


def shape_size(shape: Sequence[int]) -> int:
    """Number of values an array of this shape holds."""
    return math.prod(shape)


def _describe(shape: Sequence[int]) -> str:
    """Shape as people write it: (10,) or (3, 11)."""
    return str(tuple(shape))


def validate_ciphertexts(
    ciphertexts: Sequence[Any],
    *,
    public_key: PaillierPublicKey,
    expected_shape: Sequence[int] | None,
    max_values: int = DEFAULT_MAX_VALUES,
) -> None:
    """Raise a specific SyftError unless every value is a valid ciphertext under public_key."""
    count = len(ciphertexts)
    if count > max_values:
        raise PayloadTooLargeError(
            f"Encrypted array has {count} values; the limit is {max_values}."
        )
    if expected_shape is not None:
        expected = shape_size(expected_shape)
        if count != expected:
            raise ShapeMismatchError(
                f"Encrypted array has {count} values; expected {expected} "
                f"(shape {_describe(expected_shape)})."
            )
    n = gmpy2.mpz(public_key.n)
    nsquare = n * n
    for index, value in enumerate(ciphertexts):
        if isinstance(value, bool) or not isinstance(value, int | type(n)):
            raise MalformedPayloadError(
                f"Ciphertext at index {index} is a {type(value).__name__}, not an integer."
            )
        if not 0 < value < nsquare:
            raise CiphertextOutOfRangeError(
                f"Ciphertext at index {index} is not strictly between 0 and n²."
            )
        if gmpy2.gcd(value, n) != 1:
            raise CiphertextNotInvertibleError(
                f"Ciphertext at index {index} shares a factor with n; it is not a valid "
                "Paillier ciphertext."
            )
