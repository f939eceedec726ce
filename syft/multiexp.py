"""Simultaneous multi-exponentiation: many products of powers of shared bases, modulo m."""

from collections.abc import Sequence

import gmpy2
import numpy as np
from gmpy2 import mpz

from syft.errors import CiphertextNotInvertibleError

__all__ = ["choose_window", "power_products", "signed_digits"]

_ONE = mpz(1)
_MAX_WINDOW = 9
# A modular inverse costs about as much as this many multiplications (measured, 4096 bits).
_INVERSE_COST = 13


def choose_window(n_outputs: int, exponent_bits: int) -> int:
    """Window width minimising table building plus per-output multiplications, per base."""
    # Per base: two tables of 2**(w-2) odd powers (one for the base, one for its inverse);
    # per output and base: about exponent_bits / (w + 1) multiplications (wNAF density).
    if exponent_bits <= 2:
        return 2
    return min(
        range(2, _MAX_WINDOW + 1),
        key=lambda w: 2 * (1 << (w - 2)) + _INVERSE_COST + n_outputs * exponent_bits / (w + 1),
    )


def signed_digits(exponent: int, window: int) -> list[tuple[int, int]]:
    """Width-`window` NAF of a non-negative exponent as (bit position, odd digit) pairs.

    Digits are odd, in (-2**(window-1), 2**(window-1)), and at least `window` positions
    apart, so sum(digit << position) == exponent with about bits / (window + 1) digits.
    """
    digits = []
    size = 1 << window
    half = size >> 1
    position = 0
    while exponent:
        # Jump straight over the run of zero bits instead of walking it bit by bit.
        zeros = (exponent & -exponent).bit_length() - 1
        exponent >>= zeros
        position += zeros
        digit = exponent & (size - 1)
        if digit >= half:
            digit -= size
        digits.append((position, digit))
        exponent -= digit
    return digits


def _digit_schedule(
    exponent_rows: Sequence[Sequence[int]], window: int, n_positions: int
) -> list[list[tuple[int, int, int]]]:
    """Per row, its nonzero wNAF digits as (position, base index, digit), highest first.

    Vectorised over all exponents at once with numpy (they fit int64), which is several
    times faster than extracting digits exponent by exponent in Python.
    """
    exponents = np.array([[int(e) for e in row] for row in exponent_rows], dtype=np.int64)
    signs = np.sign(exponents)
    remaining = np.abs(exponents)
    size, half = 1 << window, 1 << (window - 1)
    digits = np.zeros((n_positions, *exponents.shape), dtype=np.int64)
    for position in range(n_positions):
        digit = np.where(remaining & 1, remaining & (size - 1), 0)
        digit -= np.where(digit >= half, size, 0)
        digits[position] = digit
        remaining = (remaining - digit) >> 1
    digits *= signs[None, :, :]
    positions, rows, columns = np.nonzero(digits)
    values = digits[positions, rows, columns]
    # Highest position first within each row: that is the order the accumulator walks.
    order = np.lexsort((-positions, rows))
    schedule: list[list[tuple[int, int, int]]] = [[] for _ in exponent_rows]
    for row, position, column, value in zip(
        rows[order].tolist(),
        positions[order].tolist(),
        columns[order].tolist(),
        values[order].tolist(),
        strict=True,
    ):
        schedule[row].append((position, column, value))
    return schedule


def _python_schedule(
    exponent_rows: Sequence[Sequence[int]], window: int
) -> list[list[tuple[int, int, int]]]:
    """The same schedule for exponents too large for int64."""
    schedule = []
    for row in exponent_rows:
        entries = []
        for j, exponent in enumerate(row):
            exponent = int(exponent)
            sign = -1 if exponent < 0 else 1
            entries.extend(
                (position, j, sign * digit)
                for position, digit in signed_digits(abs(exponent), window)
            )
        entries.sort(key=lambda entry: -entry[0])
        schedule.append(entries)
    return schedule


def _odd_powers(base: mpz, count: int, modulus: mpz) -> list[mpz | None]:
    """A list t with t[k] = base**k mod modulus for odd k < 2 * count (even slots unused)."""
    table: list[mpz | None] = [None] * (2 * count)
    table[1] = base
    if count > 1:
        square = base * base % modulus
        power = base
        for k in range(3, 2 * count, 2):
            power = power * square % modulus
            table[k] = power
    return table


def power_products(
    modulus: int,
    bases: Sequence[int],
    exponent_rows: Sequence[Sequence[int]],
    window: int | None = None,
) -> list[mpz]:
    """Return [prod_j bases[j] ** row[j] mod modulus for row in exponent_rows].

    Interleaved signed sliding windows (Straus's trick with wNAF digits): each base gets
    one table of odd powers and one of odd powers of its inverse, built once and shared
    by every row; each row then squares a single accumulator once per bit below its top
    digit and multiplies in a table entry wherever one of its digits ends. Negative
    exponents swap the two tables, so they cost nothing extra.
    """
    modulus = mpz(modulus)
    bases = [mpz(base) for base in bases]
    max_bits = max((abs(int(e)).bit_length() for row in exponent_rows for e in row), default=0)
    if max_bits == 0:
        return [_ONE for _ in exponent_rows]
    if window is None:
        window = choose_window(len(exponent_rows), max_bits)
    if window < 2:
        raise ValueError("The wNAF window must be at least 2 bits wide.")
    count = 1 << (window - 2)
    # Tables for every base some row uses: odd powers of the base and of its inverse.
    positive: list[list[mpz | None]] = [[] for _ in bases]
    negative: list[list[mpz | None]] = [[] for _ in bases]
    used = {j for row in exponent_rows for j, exponent in enumerate(row) if exponent}
    for j in sorted(used):
        try:
            inverse = gmpy2.invert(bases[j], modulus)
        except ZeroDivisionError:
            raise CiphertextNotInvertibleError(
                f"Ciphertext at index {j} has no inverse modulo n²; it is not a valid "
                "Paillier ciphertext."
            ) from None
        positive[j] = _odd_powers(bases[j], count, modulus)
        negative[j] = _odd_powers(inverse, count, modulus)

    # A signed digit can carry one position past the top bit.
    n_positions = max_bits + 1
    if max_bits <= 62:
        schedule = _digit_schedule(exponent_rows, window, n_positions)
    else:
        schedule = _python_schedule(exponent_rows, window)
    results: list[mpz] = []
    for entries in schedule:
        accumulator: mpz | None = None
        current = n_positions
        for position, j, digit in entries:
            if accumulator is not None:
                for _ in range(current - position):
                    accumulator = accumulator * accumulator % modulus
            current = position
            factor = positive[j][digit] if digit > 0 else negative[j][-digit]
            accumulator = factor if accumulator is None else accumulator * factor % modulus
        if accumulator is None:
            results.append(_ONE)
            continue
        for _ in range(current):
            accumulator = accumulator * accumulator % modulus
        results.append(accumulator)
    return results
