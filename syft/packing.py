"""Packed gradients (wire format v2): k fixed-point values per ciphertext, checked on decryption.

A slot of s = B + 1 + h bits holds v + 2**B, where |v| < 2**B is the declared (and checked)
bound B = `value_bits`, the extra bit makes the offset value non-negative, and h =
`headroom_bits` leaves room to add up to 2**h packed arrays slot by slot. A ciphertext holds
k = floor((bitlength(n) - 1) / s) slots, so its plaintext sum_i (v_i + 2**B) * 2**(s*i) is
below 2**(s*k) <= n and never wraps. See docs/wire-format.md, section 9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import gmpy2
import numpy as np
from gmpy2 import mpz
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from syft.encrypted import EncryptedArray, _decrypt_integers, _key_numbers
from syft.errors import (
    EncodingOverflowError,
    KeyMismatchError,
    ShapeMismatchError,
    SlotOutOfBoundError,
    SyftError,
)
from syft.keys import public_key_fingerprint
from syft.obfuscation import ObfuscationPool, randomizers_fresh
from syft.validation import check_shape, shape_size, validate_ciphertexts

__all__ = [
    "DEFAULT_HEADROOM_BITS",
    "PackedArray",
    "PackingLayout",
    "pack",
    "packed_add",
    "packed_decrypt",
    "packing_layout",
]

# Room to add up to 16 packed gradients slot by slot before decrypting their sum.
DEFAULT_HEADROOM_BITS = 4
MAX_HEADROOM_BITS = 32


@dataclass(frozen=True)
class PackingLayout:
    """How values sit in a packed plaintext: bound, headroom and slots per ciphertext."""

    value_bits: int
    headroom_bits: int
    slots: int

    @property
    def slot_bits(self) -> int:
        """s = value_bits + 1 (the offset's sign bit) + headroom_bits."""
        return self.value_bits + 1 + self.headroom_bits

    @property
    def offset(self) -> int:
        """What every slot adds to its value so the slot content is non-negative."""
        return 1 << self.value_bits

    def ciphertexts_for(self, size: int) -> int:
        """Packed ciphertexts needed for `size` values."""
        return math.ceil(size / self.slots) if size else 0


def packing_layout(
    *, n: int, value_bits: int, headroom_bits: int = DEFAULT_HEADROOM_BITS
) -> PackingLayout:
    """The layout for values below 2**value_bits under modulus n, or EncodingOverflowError."""
    for name, value in (("value_bits", value_bits), ("headroom_bits", headroom_bits)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SyftError(f"{name} must be a non-negative integer, not {value!r}.")
    if headroom_bits > MAX_HEADROOM_BITS:
        raise SyftError(f"headroom_bits is {headroom_bits}; at most {MAX_HEADROOM_BITS}.")
    usable = int(n).bit_length() - 1
    slot_bits = value_bits + 1 + headroom_bits
    slots = usable // slot_bits
    if slots < 1:
        raise EncodingOverflowError(
            f"A slot of {slot_bits} bits does not fit the key's {usable}-bit plaintext space."
        )
    return PackingLayout(value_bits=value_bits, headroom_bits=headroom_bits, slots=slots)


@dataclass(frozen=True)
class PackedArray:
    """Packed ciphertexts of an array of `shape` values at one fixed-point `exponent`.

    `summands` counts the packed arrays added into these ciphertexts (1 for one gradient):
    each slot then holds the sum of the values plus summands * offset.
    """

    public_key: PaillierPublicKey
    ciphertexts: list[mpz] = field(repr=False)
    shape: tuple[int, ...]
    exponent: int
    layout: PackingLayout
    summands: int = 1

    def __post_init__(self) -> None:
        """Refuse inconsistent counts: they would misplace every value after them."""
        expected = self.layout.ciphertexts_for(self.size)
        if len(self.ciphertexts) != expected:
            raise ShapeMismatchError(
                f"A packed array of shape {self.shape} with {self.layout.slots} slots per "
                f"ciphertext needs {expected} ciphertexts, not {len(self.ciphertexts)}."
            )
        if not 1 <= self.summands <= 1 << self.layout.headroom_bits:
            raise SyftError(
                f"{self.summands} summands exceed the {self.layout.headroom_bits} headroom bits."
            )

    @property
    def size(self) -> int:
        """Number of values (not ciphertexts)."""
        return shape_size(self.shape)

    def fingerprint(self) -> str:
        """Fingerprint of the public key the ciphertexts were made under."""
        return public_key_fingerprint(self.public_key)

    @classmethod
    def from_ciphertexts(
        cls,
        public_key: PaillierPublicKey,
        ciphertexts: list[int],
        *,
        shape: tuple[int, ...],
        exponent: int,
        value_bits: int,
        headroom_bits: int,
        slots: int,
        summands: int = 1,
    ) -> PackedArray:
        """Wrap untrusted packed ciphertexts after checking the layout and every ciphertext."""
        shape = check_shape(list(shape))
        layout = packing_layout(
            n=int(public_key.n), value_bits=value_bits, headroom_bits=headroom_bits
        )
        if slots != layout.slots:
            raise SlotOutOfBoundError(
                f"The payload declares {slots} slots per ciphertext, but slots of "
                f"{layout.slot_bits} bits under this key are {layout.slots}.",
                reason="layout",
            )
        validate_ciphertexts(ciphertexts, public_key=public_key, expected_shape=None)
        return cls(
            public_key,
            [mpz(value) for value in ciphertexts],
            shape=shape,
            exponent=int(exponent),
            layout=layout,
            summands=summands,
        )


def pack(
    array: EncryptedArray,
    *,
    value_bits: int | None = None,
    exponent: int | None = None,
    headroom_bits: int = DEFAULT_HEADROOM_BITS,
    pool: ObfuscationPool | None = None,
) -> PackedArray:
    """Pack an encrypted array by Horner's rule on ciphertexts, then re-randomize.

    Group g of k values becomes prod_i c_i**(2**(s*i)) * Enc(sum_i 2**B * 2**(s*i)): s - 1
    squarings per slot, no exponent wider than the slot. `exponent` raises the scale first
    (a fixed public exponent hides the scale the data chose); `value_bits` pads the declared
    bound up to a fixed public width. Neither may promise less than the array can hold.
    `pool` supplies precomputed r**n (see syft.obfuscation); without it they are made here.
    """
    n, nsquare, _, _ = _key_numbers(int(array.public_key.n))
    target = array.exponent if exponent is None else int(exponent)
    shift = target - array.exponent
    if shift < 0:
        raise SyftError(
            f"Cannot pack at exponent {target}: the array is at {array.exponent}, and only the "
            "private key holder can lower a scale."
        )
    proven = array.magnitude_bits + shift if array.magnitude_bits else 0
    bits = proven if value_bits is None else int(value_bits)
    if bits < proven:
        raise EncodingOverflowError(
            f"Cannot promise values below 2**{bits}: the array only guarantees 2**{proven}."
        )
    layout = packing_layout(n=int(n), value_bits=bits, headroom_bits=headroom_bits)
    values = array._ciphertexts
    step = mpz(1) << layout.slot_bits
    packed: list[mpz] = []
    for start in range(0, len(values), layout.slots):
        group = values[start : start + layout.slots]
        accumulator = group[-1]
        for ciphertext in reversed(group[:-1]):
            # c**(2**s) is s squarings; gmpy2 does them in C.
            accumulator = gmpy2.powmod(accumulator, step, nsquare) * ciphertext % nsquare
        if shift:
            accumulator = gmpy2.powmod(accumulator, mpz(1) << shift, nsquare)
        offsets = sum(layout.offset << (layout.slot_bits * i) for i in range(len(group)))
        packed.append(accumulator * ((1 + mpz(offsets) * n) % nsquare) % nsquare)
    noise = pool.take(len(packed)) if pool is not None else randomizers_fresh(n, len(packed))
    packed = [c * r % nsquare for c, r in zip(packed, noise, strict=True)]
    return PackedArray(array.public_key, packed, shape=array.shape, exponent=target, layout=layout)


def packed_add(left: PackedArray, right: PackedArray) -> PackedArray:
    """Slot-wise sum of two packed arrays of one layout (uses one bit of headroom per doubling)."""
    if int(left.public_key.n) != int(right.public_key.n):
        raise KeyMismatchError("Cannot add packed arrays made under different keys.")
    if (left.shape, left.exponent, left.layout) != (right.shape, right.exponent, right.layout):
        raise ShapeMismatchError("Cannot add packed arrays of different shapes, scales or layouts.")
    _, nsquare, _, _ = _key_numbers(int(left.public_key.n))
    return PackedArray(
        left.public_key,
        [a * b % nsquare for a, b in zip(left.ciphertexts, right.ciphertexts, strict=True)],
        shape=left.shape,
        exponent=left.exponent,
        layout=left.layout,
        summands=left.summands + right.summands,
    )


def _refuse(message: str, *, reason: str, index: int | None = None) -> SlotOutOfBoundError:
    return SlotOutOfBoundError(f"The packed gradient is malformed: {message}", reason, index)


def packed_integers(
    private_key: PaillierPrivateKey,
    packed: PackedArray,
    *,
    max_value_bits: int | None = None,
    max_abs: float | None = None,
) -> list[int]:
    """Decrypt and unpack to signed integers (value * 2**exponent), refusing any out of bound.

    Refused, with a SlotOutOfBoundError naming the reason: a declared bound wider than
    `max_value_bits`; bits set above the last used slot; a slot whose value is not strictly
    within the declared bound (summands * (2**B - 1)); a value beyond `max_abs` in real units.
    """
    if int(private_key.public_key.n) != int(packed.public_key.n):
        raise KeyMismatchError(
            "This private key does not belong to the key the packed gradient was made under."
        )
    layout = packed.layout
    if max_value_bits is not None and layout.value_bits > max_value_bits:
        raise _refuse(
            f"it declares values below 2**{layout.value_bits}, more than the campaign's bound "
            f"of 2**{max_value_bits}.",
            reason="declared_bound",
        )
    limit = packed.summands * ((1 << layout.value_bits) - 1)
    if max_abs is not None:
        # Exact: max_abs * 2**exponent as a fraction, so a float rounding cannot widen it.
        scaled = Fraction(max_abs) * (Fraction(2) ** packed.exponent)
        limit = min(limit, math.floor(scaled))
    centre = packed.summands * layout.offset
    mask = (1 << layout.slot_bits) - 1
    values: list[int] = []
    plaintexts = _decrypt_integers(private_key, packed.ciphertexts)
    for group, plaintext in enumerate(plaintexts):
        used = min(layout.slots, packed.size - group * layout.slots)
        if plaintext >> (layout.slot_bits * used):
            raise _refuse(
                f"ciphertext {group} has bits set above its last slot.", reason="overflow"
            )
        for slot in range(used):
            value = ((plaintext >> (layout.slot_bits * slot)) & mask) - centre
            index = group * layout.slots + slot
            if abs(value) > limit:
                raise _refuse(
                    f"the value at index {index} lies outside its bound.",
                    reason="slot_bound",
                    index=index,
                )
            values.append(value)
    return values


def packed_decrypt(
    private_key: PaillierPrivateKey,
    packed: PackedArray,
    *,
    max_value_bits: int | None = None,
    max_abs: float | None = None,
) -> np.ndarray:
    """Decrypt a packed array to float64 of its shape; see `packed_integers` for what is refused."""
    integers = packed_integers(private_key, packed, max_value_bits=max_value_bits, max_abs=max_abs)
    exponent = packed.exponent
    try:
        # Integer true division rounds correctly to the nearest float64.
        out = [
            value / (1 << exponent) if exponent >= 0 else float(value << -exponent)
            for value in integers
        ]
    except OverflowError:
        raise EncodingOverflowError(
            f"A packed value is too large for a float64 at exponent {exponent}."
        ) from None
    return np.asarray(out, dtype=np.float64).reshape(packed.shape)
