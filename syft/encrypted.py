"""Arrays of Paillier ciphertexts sharing one fixed-point scale, and their arithmetic."""

import functools
import math
import secrets
from collections.abc import Sequence

import gmpy2
import numpy as np
from gmpy2 import mpz
from phe.paillier import PaillierPrivateKey, PaillierPublicKey

from syft.errors import (
    CiphertextNotInvertibleError,
    HeadroomExhaustedError,
    InvalidDataError,
    KeyMismatchError,
    ShapeMismatchError,
    SyftError,
)
from syft.fixedpoint import DEFAULT_PRECISION_BITS, decode, encode
from syft.keys import public_key_fingerprint
from syft.multiexp import power_products
from syft.parallel import get_workers, run_in_processes, run_in_threads, set_workers, split_evenly
from syft.validation import check_shape, shape_size, validate_ciphertexts

__all__ = ["EncryptedArray", "plaintext_matvec", "set_workers", "stack"]

Plaintext = np.ndarray | float | int | Sequence[float]

# Below this much work (nonzero products x exponent bits, scaled to a 2048-bit key) the
# process pool's pickling and wake-up cost more than they save.
PARALLEL_MIN_WORK = 20_000
# Threads only pay for themselves once each gets a few modular exponentiations.
THREAD_MIN_ITEMS = 4


@functools.lru_cache(maxsize=32)
def _key_numbers(n: int) -> tuple[mpz, mpz, int, int]:
    """n and n² as mpz, the largest encodable |integer|, and the bits it safely holds."""
    max_int = n // 3 - 1
    # |x| < 2**capacity guarantees |x| <= max_int.
    return mpz(n), mpz(n) * mpz(n), max_int, max_int.bit_length() - 1


@functools.lru_cache(maxsize=32)
def _fingerprint_of(n: int) -> str:
    """Cached public key fingerprint (hashing n is cheap, but arrays ask often)."""
    return public_key_fingerprint(PaillierPublicKey(n))


def _powmod_list(bases: Sequence[mpz], exponent: mpz, modulus: mpz) -> list[mpz]:
    """gmpy2's list powmod, which releases the GIL; exponent must be non-negative."""
    return gmpy2.powmod_base_list(list(bases), exponent, modulus)


def _powmod_many(bases: Sequence[mpz], exponent: int, modulus: mpz) -> list[mpz]:
    """bases[i] ** exponent mod modulus for every i, across threads when the list is long."""
    exponent = mpz(exponent)
    workers = get_workers()
    if workers == 1 or len(bases) < THREAD_MIN_ITEMS * 2:
        return _powmod_list(bases, exponent, modulus)
    chunks = split_evenly(list(bases), min(workers, len(bases) // THREAD_MIN_ITEMS))
    parts = run_in_threads(_powmod_list, [(chunk, exponent, modulus) for chunk in chunks])
    return [value for part in parts for value in part]


def _random_units(n: mpz, count: int) -> list[mpz]:
    """count uniform random integers in [1, n) from the operating system's CSPRNG."""
    return [mpz(secrets.randbelow(int(n) - 1) + 1) for _ in range(count)]


def _invert_all(ciphertexts: Sequence[mpz], modulus: mpz) -> list[mpz]:
    """Modular inverses, naming the first ciphertext that has none."""
    inverses = []
    for index, value in enumerate(ciphertexts):
        try:
            inverses.append(gmpy2.invert(value, modulus))
        except ZeroDivisionError:
            raise CiphertextNotInvertibleError(
                f"Ciphertext at index {index} has no inverse modulo n²; it is not a valid "
                "Paillier ciphertext."
            ) from None
    return inverses


def _headroom_check(bits: int, capacity: int, action: str) -> None:
    """Refuse an operation whose result could exceed the plaintext space."""
    if bits > capacity:
        raise HeadroomExhaustedError(
            f"Cannot {action}: the result needs {bits} bits but the key's plaintext space "
            f"holds {capacity}. Decrypt and re-encrypt the array (refresh) to reset its scale."
        )


def _encode_factor(
    values: Plaintext, *, max_int: int, precision_bits: int
) -> tuple[list[int], int]:
    """Encode a plaintext factor at its own scale: integers exactly, floats to precision_bits."""
    return encode(np.asarray(values), precision_bits=precision_bits, max_int=max_int)


class EncryptedArray:
    """A numpy-like array of Paillier ciphertexts sharing one key and one fixed-point exponent.

    value = integer / 2**exponent for every element; `magnitude_bits` is a proven bound
    (|integer| < 2**magnitude_bits) that lets syft refuse operations before they overflow.
    """

    # Keep numpy from broadcasting `ndarray + EncryptedArray` element by element.
    __array_ufunc__ = None

    def __init__(
        self,
        public_key: PaillierPublicKey,
        ciphertexts: Sequence[int],
        *,
        shape: Sequence[int],
        exponent: int,
        magnitude_bits: int,
    ) -> None:
        """Wrap trusted ciphertexts; use `from_ciphertexts` for anything from outside."""
        self.public_key = public_key
        self.shape: tuple[int, ...] = tuple(int(size) for size in shape)
        self.exponent = int(exponent)
        self.magnitude_bits = int(magnitude_bits)
        self._ciphertexts: list[mpz] = [mpz(value) for value in ciphertexts]
        if len(self._ciphertexts) != shape_size(self.shape):
            raise ShapeMismatchError(
                f"Encrypted array has {len(self._ciphertexts)} values; shape {self.shape} "
                f"needs {shape_size(self.shape)}."
            )
        _, _, _, capacity = self._numbers
        _headroom_check(self.magnitude_bits, capacity, "hold these values")

    @property
    def _numbers(self) -> tuple[mpz, mpz, int, int]:
        """n, n², max_int and capacity bits of this array's key."""
        return _key_numbers(int(self.public_key.n))

    # -- construction -------------------------------------------------------------------

    @classmethod
    def encrypt(
        cls, public_key: PaillierPublicKey, values: Plaintext, *, exponent: int | None = None
    ) -> "EncryptedArray":
        """Encrypt values (any shape) at one scale; the scale keeps 53 bits unless given."""
        array = np.asarray(values, dtype=np.float64)
        n, nsquare, max_int, _ = _key_numbers(int(public_key.n))
        integers, exponent = encode(array, exponent=exponent, max_int=max_int)
        # With g = n + 1, g**m = 1 + m*n (mod n²); Python's % maps negatives to n² - |.|.
        nude = [(1 + mpz(value) * n) % nsquare for value in integers]
        randomizers = _powmod_many(_random_units(n, len(nude)), n, nsquare)
        ciphertexts = [c * r % nsquare for c, r in zip(nude, randomizers, strict=True)]
        magnitude = max((abs(value).bit_length() for value in integers), default=0)
        return cls(
            public_key, ciphertexts, shape=array.shape, exponent=exponent, magnitude_bits=magnitude
        )

    @classmethod
    def from_ciphertexts(
        cls,
        public_key: PaillierPublicKey,
        ciphertexts: Sequence[int],
        *,
        shape: Sequence[int],
        exponent: int,
        magnitude_bits: int | None = None,
        max_values: int | None = None,
    ) -> "EncryptedArray":
        """Wrap untrusted ciphertexts after validating range, invertibility and shape."""
        shape = check_shape(list(shape))
        limits = {} if max_values is None else {"max_values": max_values}
        validate_ciphertexts(ciphertexts, public_key=public_key, expected_shape=shape, **limits)
        _, _, _, capacity = _key_numbers(int(public_key.n))
        if magnitude_bits is None:
            magnitude_bits = assumed_magnitude_bits(exponent)
        _headroom_check(magnitude_bits, capacity, "accept these ciphertexts")
        return cls(
            public_key, ciphertexts, shape=shape, exponent=exponent, magnitude_bits=magnitude_bits
        )

    def _derived(
        self,
        ciphertexts: Sequence[mpz],
        *,
        exponent: int,
        magnitude_bits: int,
        shape: Sequence[int] | None = None,
    ) -> "EncryptedArray":
        """A new array under the same key."""
        return EncryptedArray(
            self.public_key,
            ciphertexts,
            shape=self.shape if shape is None else shape,
            exponent=exponent,
            magnitude_bits=magnitude_bits,
        )

    # -- inspection ---------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of values."""
        return len(self._ciphertexts)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    def __len__(self) -> int:
        """Length of the first dimension, as for numpy arrays."""
        if not self.shape:
            raise TypeError("len() of a 0-dimensional EncryptedArray")
        return self.shape[0]

    @property
    def ciphertexts(self) -> list[int]:
        """The raw ciphertexts, flattened in C order, as Python ints."""
        return [int(value) for value in self._ciphertexts]

    def fingerprint(self) -> str:
        """Fingerprint of the public key these ciphertexts were made under."""
        return _fingerprint_of(int(self.public_key.n))

    def headroom_bits(self) -> int:
        """How many more bits of scale growth fit before the plaintext space could overflow."""
        _, _, _, capacity = self._numbers
        return capacity - self.magnitude_bits

    def __repr__(self) -> str:
        """Shape, scale and key, never the ciphertexts."""
        return (
            f"<EncryptedArray shape={self.shape} exponent={self.exponent} "
            f"headroom={self.headroom_bits()} key={self.fingerprint()[:12]}>"
        )

    # -- decryption ---------------------------------------------------------------------

    def decrypt(self, private_key: PaillierPrivateKey) -> np.ndarray:
        """Decrypt to float64 values of the same shape."""
        if int(private_key.public_key.n) != int(self.public_key.n):
            raise KeyMismatchError(
                "This private key does not belong to the public key these values were "
                "encrypted under."
            )
        plaintexts = _decrypt_integers(private_key, self._ciphertexts)
        return decode(plaintexts, self.exponent, n=int(self.public_key.n)).reshape(self.shape)

    def refreshed(self, private_key: PaillierPrivateKey) -> "EncryptedArray":
        """Decrypt and re-encrypt at a fresh scale: restores headroom (the capsule does this)."""
        return EncryptedArray.encrypt(self.public_key, self.decrypt(private_key))

    # -- arithmetic ---------------------------------------------------------------------

    def _check_same_key(self, other: "EncryptedArray") -> None:
        """Ciphertexts under different keys cannot be combined."""
        if int(other.public_key.n) != int(self.public_key.n):
            raise KeyMismatchError(
                f"Cannot combine ciphertexts under key {other.fingerprint()[:12]} with ciphertexts "
                f"under key {self.fingerprint()[:12]}."
            )

    def rescaled(self, exponent: int) -> "EncryptedArray":
        """The same values at a finer scale (exponent >= self.exponent)."""
        shift = int(exponent) - self.exponent
        if shift < 0:
            raise SyftError(
                f"Cannot lower the scale of ciphertexts from exponent {self.exponent} to "
                f"{exponent}; only the private key holder can (by refreshing)."
            )
        if shift == 0:
            return self
        _, nsquare, _, capacity = self._numbers
        if self.magnitude_bits == 0:
            # Every value is 0, which is 0 at any scale: no arithmetic (and no cost however
            # large the shift).
            return self._derived(self._ciphertexts, exponent=int(exponent), magnitude_bits=0)
        magnitude = self.magnitude_bits + shift
        _headroom_check(magnitude, capacity, f"raise the exponent to {exponent}")
        ciphertexts = _powmod_many(self._ciphertexts, 1 << shift, nsquare)
        return self._derived(ciphertexts, exponent=int(exponent), magnitude_bits=magnitude)

    def _add_encrypted(self, other: "EncryptedArray") -> "EncryptedArray":
        """Elementwise sum of two encrypted arrays of the same shape."""
        self._check_same_key(other)
        if other.shape != self.shape:
            raise ShapeMismatchError(
                f"Cannot add encrypted arrays of shapes {self.shape} and {other.shape}."
            )
        exponent = max(self.exponent, other.exponent)
        left, right = self.rescaled(exponent), other.rescaled(exponent)
        _, nsquare, _, capacity = self._numbers
        magnitude = max(left.magnitude_bits, right.magnitude_bits) + 1
        _headroom_check(magnitude, capacity, "add")
        ciphertexts = [
            a * b % nsquare for a, b in zip(left._ciphertexts, right._ciphertexts, strict=True)
        ]
        return self._derived(ciphertexts, exponent=exponent, magnitude_bits=magnitude)

    def _add_plaintext(self, values: Plaintext) -> "EncryptedArray":
        """Add plaintext values (broadcast to this shape) encoded at this array's scale."""
        try:
            array = np.broadcast_to(np.asarray(values, dtype=np.float64), self.shape)
        except ValueError:
            raise ShapeMismatchError(
                f"Cannot add plaintext of shape {np.shape(values)} to encrypted shape {self.shape}."
            ) from None
        n, nsquare, max_int, capacity = self._numbers
        integers, _ = encode(array, exponent=self.exponent, max_int=max_int)
        plain_bits = max((abs(value).bit_length() for value in integers), default=0)
        magnitude = max(self.magnitude_bits, plain_bits) + 1
        _headroom_check(magnitude, capacity, "add the plaintext")
        # Adding a known constant needs no fresh randomness: c * (1 + m*n) mod n².
        ciphertexts = [
            c * ((1 + mpz(m) * n) % nsquare) % nsquare
            for c, m in zip(self._ciphertexts, integers, strict=True)
        ]
        return self._derived(ciphertexts, exponent=self.exponent, magnitude_bits=magnitude)

    def __add__(self, other: "EncryptedArray | Plaintext") -> "EncryptedArray":
        """Elementwise sum with another encrypted array or a plaintext."""
        if isinstance(other, EncryptedArray):
            return self._add_encrypted(other)
        return self._add_plaintext(other)

    def __radd__(self, other: Plaintext) -> "EncryptedArray":
        """plaintext + encrypted."""
        return self._add_plaintext(other)

    def __neg__(self) -> "EncryptedArray":
        """Elementwise negation (modular inverse of every ciphertext)."""
        _, nsquare, _, _ = self._numbers
        return self._derived(
            _invert_all(self._ciphertexts, nsquare),
            exponent=self.exponent,
            magnitude_bits=self.magnitude_bits,
        )

    def __sub__(self, other: "EncryptedArray | Plaintext") -> "EncryptedArray":
        """Elementwise difference."""
        if isinstance(other, EncryptedArray):
            return self._add_encrypted(-other)
        return self._add_plaintext(-np.asarray(other, dtype=np.float64))

    def __rsub__(self, other: Plaintext) -> "EncryptedArray":
        """plaintext - encrypted."""
        return (-self)._add_plaintext(other)

    def multiply(
        self, other: Plaintext, *, precision_bits: int = DEFAULT_PRECISION_BITS
    ) -> "EncryptedArray":
        """Elementwise product with a plaintext scalar or array (broadcast to this shape).

        Float factors are encoded with `precision_bits` significant bits; fewer bits cost
        less headroom (a learning rate needs far fewer than 53).
        """
        if isinstance(other, EncryptedArray):
            raise TypeError("Paillier cannot multiply two ciphertexts; one factor must be plain.")
        _, nsquare, max_int, capacity = self._numbers
        try:
            factors = np.broadcast_to(np.asarray(other), self.shape)
        except ValueError:
            raise ShapeMismatchError(
                f"Cannot multiply encrypted shape {self.shape} by plaintext of shape "
                f"{np.shape(other)}."
            ) from None
        single = np.ndim(other) == 0
        # A scalar keeps one encoding (and one powmod list); an array gets one shared scale.
        integers, factor_exponent = _encode_factor(
            other if single else factors, max_int=max_int, precision_bits=precision_bits
        )
        factor_bits = max((abs(value).bit_length() for value in integers), default=0)
        magnitude = self.magnitude_bits + factor_bits if factor_bits and self.magnitude_bits else 0
        _headroom_check(magnitude, capacity, "multiply")
        exponent = self.exponent + factor_exponent
        if single:
            (factor,) = integers
            bases = self._ciphertexts if factor >= 0 else _invert_all(self._ciphertexts, nsquare)
            ciphertexts = _powmod_many(bases, abs(factor), nsquare)
        else:
            negative = [index for index, factor in enumerate(integers) if factor < 0]
            inverses = dict(
                zip(
                    negative,
                    _invert_all([self._ciphertexts[i] for i in negative], nsquare),
                    strict=True,
                )
            )
            ciphertexts = [
                gmpy2.powmod(inverses.get(index, c), abs(factor), nsquare)
                for index, (c, factor) in enumerate(zip(self._ciphertexts, integers, strict=True))
            ]
        return self._derived(ciphertexts, exponent=exponent, magnitude_bits=magnitude)

    def __mul__(self, other: Plaintext) -> "EncryptedArray":
        """encrypted * plaintext."""
        return self.multiply(other)

    def __rmul__(self, other: Plaintext) -> "EncryptedArray":
        """plaintext * encrypted."""
        return self.multiply(other)

    def obfuscate(self, *, randomizers: Sequence[int] | None = None) -> "EncryptedArray":
        """Re-randomize every ciphertext (multiply by r**n) without changing values.

        `randomizers` are precomputed r**n mod n², one per value, each used once (see
        syft.obfuscation.ObfuscationPool); without them fresh ones are made here.
        """
        n, nsquare, _, _ = self._numbers
        if randomizers is None:
            randomizers = _powmod_many(_random_units(n, self.size), n, nsquare)
        elif len(randomizers) != self.size:
            raise ShapeMismatchError(
                f"{len(randomizers)} randomizers for {self.size} ciphertexts; one each is needed."
            )
        ciphertexts = [c * r % nsquare for c, r in zip(self._ciphertexts, randomizers, strict=True)]
        return self._derived(
            ciphertexts, exponent=self.exponent, magnitude_bits=self.magnitude_bits
        )

    # -- shape ----------------------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> "EncryptedArray":
        """The same ciphertexts viewed with another shape (one -1 allowed)."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])  # type: ignore[arg-type]
        try:
            # Let numpy resolve -1 and check the size on a throwaway array of the same length.
            new_shape = np.empty(self.size, dtype=np.bool_).reshape(shape).shape
        except (TypeError, ValueError):
            raise ShapeMismatchError(
                f"Cannot reshape an encrypted array of {self.size} values into shape {shape}."
            ) from None
        return self._derived(
            self._ciphertexts,
            exponent=self.exponent,
            magnitude_bits=self.magnitude_bits,
            shape=new_shape,
        )

    def __getitem__(self, index: int) -> "EncryptedArray":
        """Select one entry along the first axis (enough for rows of a weight matrix)."""
        if not self.shape:
            raise IndexError("Cannot index a 0-dimensional EncryptedArray.")
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError("EncryptedArray supports integer indexing on the first axis only.")
        length = self.shape[0]
        if not -length <= index < length:
            raise IndexError(f"Index {index} is out of range for length {length}.")
        index = int(index) % length
        stride = shape_size(self.shape[1:])
        return self._derived(
            self._ciphertexts[index * stride : (index + 1) * stride],
            exponent=self.exponent,
            magnitude_bits=self.magnitude_bits,
            shape=self.shape[1:],
        )

    @property
    def T(self) -> "EncryptedArray":
        """Transpose of a 2-D array (1-D arrays are returned unchanged)."""
        if self.ndim < 2:
            return self
        if self.ndim > 2:
            raise ShapeMismatchError("Transpose is defined for 1-D and 2-D arrays only.")
        rows, columns = self.shape
        ciphertexts = [
            self._ciphertexts[i * columns + j] for j in range(columns) for i in range(rows)
        ]
        return self._derived(
            ciphertexts,
            exponent=self.exponent,
            magnitude_bits=self.magnitude_bits,
            shape=(columns, rows),
        )


def assumed_magnitude_bits(exponent: int) -> int:
    """Bound assumed for ciphertexts that arrive without one: |value| < 2**64."""
    return max(0, int(exponent) + 64)


def stack(arrays: Sequence[EncryptedArray]) -> EncryptedArray:
    """Stack arrays of one shape along a new first axis, aligning them to the finest scale."""
    if not arrays:
        raise ShapeMismatchError("Cannot stack an empty list of encrypted arrays.")
    first = arrays[0]
    for other in arrays[1:]:
        first._check_same_key(other)
        if other.shape != first.shape:
            raise ShapeMismatchError(
                f"Cannot stack encrypted arrays of shapes {first.shape} and {other.shape}."
            )
    exponent = max(array.exponent for array in arrays)
    aligned = [array.rescaled(exponent) for array in arrays]
    return EncryptedArray(
        first.public_key,
        [value for array in aligned for value in array._ciphertexts],
        shape=(len(arrays), *first.shape),
        exponent=exponent,
        magnitude_bits=max(array.magnitude_bits for array in aligned),
    )


def _decrypt_with_prime(ciphertexts: Sequence[mpz], prime: mpz, n: mpz) -> list[mpz]:
    """Plaintexts modulo one prime factor (half of CRT decryption)."""
    square = prime * prime
    reduced = [value % square for value in ciphertexts]
    # h = L(g**(p-1) mod p²)**-1 mod p with g = n + 1 (Paillier's decryption with CRT).
    h = gmpy2.invert((gmpy2.powmod(n + 1, prime - 1, square) - 1) // prime, prime)
    powers = _powmod_many(reduced, prime - 1, square)
    return [(power - 1) // prime * h % prime for power in powers]


def _decrypt_integers(private_key: PaillierPrivateKey, ciphertexts: Sequence[mpz]) -> list[int]:
    """Raw Paillier decryption of every ciphertext to an integer in [0, n)."""
    p, q = mpz(private_key.p), mpz(private_key.q)
    n = p * q
    modulo_p = _decrypt_with_prime(ciphertexts, p, n)
    modulo_q = _decrypt_with_prime(ciphertexts, q, n)
    p_inverse = gmpy2.invert(p, q)
    return [
        int(mp + (mq - mp) * p_inverse % q * p) for mp, mq in zip(modulo_p, modulo_q, strict=True)
    ]


def plaintext_matvec(
    matrix: np.ndarray, encrypted: EncryptedArray, *, precision_bits: int = DEFAULT_PRECISION_BITS
) -> EncryptedArray:
    """Return matrix @ encrypted, the plaintext matrix times encrypted vectors.

    The matrix is encoded with `precision_bits` significant bits for its largest entry; the
    cost of the products grows with it (a mine's gradient needs far fewer than 53).

    Shapes: (r, d) @ (d,) -> (r,); (r, d) @ (d, k) -> (r, k) (every column shares the
    matrix); and batched (p, r, d) @ (p, d) -> (p, r), where matrix[q] multiplies row q.

    Every output is a product of d powers of the same d ciphertexts, so it is computed by
    simultaneous multi-exponentiation with shared per-base tables, not by d² powmods. The
    whole matrix is encoded with one scale, so every output lands at exponent
    e_encrypted + e_matrix and the sums need no alignment.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim == 2 and encrypted.ndim in (1, 2) and encrypted.shape[0] == matrix.shape[1]:
        n_problems = 1 if encrypted.ndim == 1 else encrypted.shape[1]
        # Column c of the encrypted matrix is strided through the flat C-order list.
        base_lists = [encrypted._ciphertexts[c::n_problems] for c in range(n_problems)]
        matrices = [matrix] * n_problems
        shape = (matrix.shape[0],) if encrypted.ndim == 1 else (matrix.shape[0], n_problems)
        interleave = True
    elif matrix.ndim == 3 and encrypted.shape == (matrix.shape[0], matrix.shape[2]):
        depth = matrix.shape[2]
        base_lists = [
            encrypted._ciphertexts[q * depth : (q + 1) * depth] for q in range(matrix.shape[0])
        ]
        matrices = list(matrix)
        shape = matrix.shape[:2]
        interleave = False
    else:
        raise ShapeMismatchError(
            f"Cannot multiply a matrix of shape {matrix.shape} by an encrypted array of shape "
            f"{encrypted.shape}."
        )
    _, nsquare, max_int, capacity = encrypted._numbers
    try:
        integers, matrix_exponent = encode(matrix, max_int=max_int, precision_bits=precision_bits)
    except InvalidDataError:
        raise InvalidDataError(
            "The plaintext matrix contains values that are not finite."
        ) from None
    n_rows, depth = matrix.shape[-2:]
    all_rows = [integers[i * depth : (i + 1) * depth] for i in range(len(integers) // depth)]
    row_bound = max((sum(abs(value) for value in row) for row in all_rows), default=0)
    magnitude = encrypted.magnitude_bits + row_bound.bit_length() if encrypted.magnitude_bits else 0
    _headroom_check(magnitude, capacity, "multiply by the matrix")
    # With a shared matrix, every problem uses the same rows; batched ones use their own.
    problem_rows = [
        all_rows if interleave else all_rows[q * n_rows : (q + 1) * n_rows]
        for q in range(len(matrices))
    ]
    outputs = _power_products_many(nsquare, base_lists, problem_rows)
    if interleave:
        ciphertexts = [outputs[q][i] for i in range(n_rows) for q in range(len(outputs))]
    else:
        ciphertexts = [value for output in outputs for value in output]
    return EncryptedArray(
        encrypted.public_key,
        ciphertexts,
        shape=shape,
        exponent=encrypted.exponent + matrix_exponent,
        magnitude_bits=magnitude,
    )


def _power_products_many(
    nsquare: mpz,
    base_lists: Sequence[Sequence[mpz]],
    problem_rows: Sequence[Sequence[Sequence[int]]],
) -> list[list[mpz]]:
    """Solve several multi-exponentiation problems, across the process pool when large."""
    exponents = [value for rows in problem_rows for row in rows for value in row if value]
    max_bits = max((abs(value).bit_length() for value in exponents), default=0)
    work = len(exponents) * max_bits * (nsquare.bit_length() / 4096) ** 2
    workers = get_workers()
    if workers == 1 or work < PARALLEL_MIN_WORK:
        return [
            power_products(nsquare, bases, rows)
            for bases, rows in zip(base_lists, problem_rows, strict=True)
        ]
    # Split each problem's outputs so every worker gets a share; each chunk builds its own
    # tables, which costs far less than the multiplications it saves.
    chunks = max(1, math.ceil(workers / len(problem_rows)))
    jobs, owners = [], []
    for index, (bases, rows) in enumerate(zip(base_lists, problem_rows, strict=True)):
        for part in split_evenly(list(rows), chunks):
            jobs.append((nsquare, list(bases), list(part)))
            owners.append(index)
    outputs: list[list[mpz]] = [[] for _ in problem_rows]
    for owner, part in zip(owners, run_in_processes(power_products, jobs), strict=True):
        outputs[owner].extend(part)
    return outputs
