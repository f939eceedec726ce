"""Simultaneous multi-exponentiation: many products of powers of shared bases, modulo m."""

from collections.abc import Sequence

import gmpy2
from gmpy2 import mpz

from syft.errors import CiphertextNotInvertibleError

__all__ = ["choose_window", "power_products"]

_ONE = mpz(1)
_MAX_WINDOW = 8


def choose_window(n_outputs: int, exponent_bits: int) -> int:
    """Window width that balances per-base table cost against per-output multiplications."""
    # A table costs about 2**w multiplications per base; each output then spends about
    # exponent_bits / w multiplications per base. Minimise the sum.
    if exponent_bits <= 1:
        return 1
    return min(
        range(1, _MAX_WINDOW + 1),
        key=lambda w: (1 << w) + n_outputs * -(-exponent_bits // w),
    )


def _power_table(base: mpz, size: int, modulus: mpz) -> list[mpz]:
    """Return [1, base, base**2, ..., base**(size - 1)] modulo modulus."""
    table = [_ONE, base]
    power = base
    for _ in range(size - 2):
        power = power * base % modulus
        table.append(power)
    return table


def power_products(
    modulus: int,
    bases: Sequence[int],
    exponent_rows: Sequence[Sequence[int]],
    window: int | None = None,
) -> list[mpz]:
    """Return [prod_j bases[j] ** row[j] mod modulus for row in exponent_rows].

    Straus's method: one table of small powers per base, built once and shared by every
    row; each row then walks its exponents a window at a time, squaring one accumulator.
    Negative exponents use the base's inverse (computed once per base) with |exponent|.
    """
    modulus = mpz(modulus)
    bases = [mpz(base) for base in bases]
    max_bits = max((abs(int(e)).bit_length() for row in exponent_rows for e in row), default=0)
    if max_bits == 0:
        return [_ONE for _ in exponent_rows]
    if window is None:
        window = choose_window(len(exponent_rows), max_bits)
    size = 1 << window
    mask = size - 1
    n_windows = -(-max_bits // window)
    positive: list[list[mpz] | None] = [None] * len(bases)
    negative: list[list[mpz] | None] = [None] * len(bases)
    results: list[mpz] = []
    for row in exponent_rows:
        # slots[k] holds the table entries to multiply in at window k (counted from the bottom).
        slots: list[list[mpz]] = [[] for _ in range(n_windows)]
        for j, exponent in enumerate(row):
            exponent = int(exponent)
            if exponent > 0:
                table = positive[j]
                if table is None:
                    table = positive[j] = _power_table(bases[j], size, modulus)
            elif exponent < 0:
                table = negative[j]
                if table is None:
                    try:
                        inverse = gmpy2.invert(bases[j], modulus)
                    except ZeroDivisionError:
                        raise CiphertextNotInvertibleError(
                            f"Ciphertext at index {j} has no inverse modulo n²; it is not a "
                            "valid Paillier ciphertext."
                        ) from None
                    table = negative[j] = _power_table(inverse, size, modulus)
                exponent = -exponent
            else:
                continue
            k = 0
            while exponent:
                digit = exponent & mask
                if digit:
                    slots[k].append(table[digit])
                exponent >>= window
                k += 1
        accumulator: mpz | None = None
        for k in range(n_windows - 1, -1, -1):
            if accumulator is not None:
                for _ in range(window):
                    accumulator = accumulator * accumulator % modulus
            for factor in slots[k]:
                accumulator = factor if accumulator is None else accumulator * factor % modulus
        results.append(_ONE if accumulator is None else accumulator)
    return results
