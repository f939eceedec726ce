"""Paillier key pairs: generation, fingerprints and (de)serialization."""

import hashlib
import json
from typing import Any

import gmpy2
from phe.paillier import PaillierPrivateKey, PaillierPublicKey, generate_paillier_keypair

from syft.errors import InsecureKeyError, KeyMismatchError, MalformedPayloadError

__all__ = [
    "MIN_SECURE_BITS",
    "PaillierPrivateKey",
    "PaillierPublicKey",
    "keypair_generate",
    "private_key_from_bytes",
    "private_key_to_bytes",
    "public_key_fingerprint",
    "public_key_from_dict",
    "public_key_to_dict",
]

MIN_SECURE_BITS = 2048
# Below this even the test flag refuses: the plaintext space must hold two 53-bit
# fixed-point factors plus growth, or nothing in syft works.
MIN_TEST_BITS = 256
# Refuse absurd moduli from the network before doing any arithmetic on them.
MAX_KEY_BITS = 16384
PRIVATE_KEY_FORMAT = "syft.paillier-private/1"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# Product of the primes below 1000: a modulus sharing a factor with it is garbage, not a key.
_SMALL_PRIMES_PRODUCT = gmpy2.mpz(1)
for _candidate in range(2, 1000):
    if gmpy2.is_prime(_candidate):
        _SMALL_PRIMES_PRODUCT *= _candidate


def _check_key_size(bits: int, *, allow_insecure_for_tests: bool, action: str) -> None:
    """Refuse keys too short to be secure unless the explicit test flag is set."""
    if bits < MIN_TEST_BITS:
        raise InsecureKeyError(
            f"Refusing to {action} a {bits}-bit Paillier key: syft needs at least "
            f"{MIN_TEST_BITS} bits even in tests and {MIN_SECURE_BITS} bits otherwise."
        )
    if bits < MIN_SECURE_BITS and not allow_insecure_for_tests:
        raise InsecureKeyError(
            f"Refusing to {action} a {bits}-bit Paillier key: keys shorter than "
            f"{MIN_SECURE_BITS} bits can be factored; pass allow_insecure_for_tests=True "
            "only in tests."
        )


def keypair_generate(
    bits: int = MIN_SECURE_BITS, *, allow_insecure_for_tests: bool = False
) -> tuple[PaillierPublicKey, PaillierPrivateKey]:
    """Generate a Paillier key pair whose modulus n has exactly `bits` bits."""
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise InsecureKeyError(f"Key size must be an integer number of bits, not {bits!r}.")
    _check_key_size(bits, allow_insecure_for_tests=allow_insecure_for_tests, action="generate")
    return generate_paillier_keypair(n_length=bits)


def _int_to_bytes(value: int) -> bytes:
    """Big-endian bytes of a positive integer, without leading zero bytes."""
    return int(value).to_bytes((int(value).bit_length() + 7) // 8, "big")


def public_key_fingerprint(public_key: PaillierPublicKey) -> str:
    """Return the sha256 hex digest of n as minimal big-endian bytes."""
    return hashlib.sha256(_int_to_bytes(public_key.n)).hexdigest()


def public_key_to_dict(public_key: PaillierPublicKey) -> dict[str, Any]:
    """Return the JSON-ready description of a public key."""
    return {
        "scheme": "paillier",
        "n": format(int(public_key.n), "x"),
        "bits": int(public_key.n).bit_length(),
        "fingerprint": public_key_fingerprint(public_key),
    }


def _parse_hex(text: Any, *, what: str, max_digits: int) -> int:
    """Parse a bare hex string (no sign, no 0x) or raise MalformedPayloadError."""
    if not isinstance(text, str) or not text:
        raise MalformedPayloadError(f"{what} must be a non-empty hex string.")
    if len(text) > max_digits:
        raise MalformedPayloadError(f"{what} has {len(text)} hex digits; at most {max_digits}.")
    if not _HEX_DIGITS.issuperset(text):
        raise MalformedPayloadError(f"{what} contains characters that are not hex digits.")
    return int(text, 16)


def public_key_from_dict(data: Any, *, allow_insecure_for_tests: bool = False) -> PaillierPublicKey:
    """Rebuild a public key from `public_key_to_dict` output, validating every field."""
    if not isinstance(data, dict):
        raise MalformedPayloadError("A public key must be a JSON object.")
    missing = sorted({"scheme", "n", "bits", "fingerprint"} - set(data))
    if missing:
        raise MalformedPayloadError(f"Public key is missing {', '.join(missing)}.")
    if data["scheme"] != "paillier":
        raise MalformedPayloadError(
            f"Public key scheme {data['scheme']!r} is not supported; expected 'paillier'."
        )
    n = _parse_hex(data["n"], what="Public key modulus n", max_digits=MAX_KEY_BITS // 4)
    bits = data["bits"]
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise MalformedPayloadError("Public key 'bits' must be an integer.")
    if n.bit_length() != bits:
        raise MalformedPayloadError(
            f"Public key says it has {bits} bits but its modulus has {n.bit_length()}."
        )
    if n % 2 == 0 or gmpy2.gcd(n, _SMALL_PRIMES_PRODUCT) != 1:
        raise MalformedPayloadError("Public key modulus has a small factor; it is not a key.")
    _check_key_size(bits, allow_insecure_for_tests=allow_insecure_for_tests, action="accept")
    public_key = PaillierPublicKey(n)
    fingerprint = data["fingerprint"]
    if not isinstance(fingerprint, str):
        raise MalformedPayloadError("Public key 'fingerprint' must be a hex string.")
    if fingerprint.lower() != public_key_fingerprint(public_key):
        raise KeyMismatchError(
            "Public key fingerprint does not match its modulus; the key was altered or mixed up."
        )
    return public_key


def private_key_to_bytes(private_key: PaillierPrivateKey) -> bytes:
    """Serialize a private key (p and q) for the capsule to encrypt at rest; never log this."""
    payload = {
        "format": PRIVATE_KEY_FORMAT,
        "p": format(int(private_key.p), "x"),
        "q": format(int(private_key.q), "x"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


def private_key_from_bytes(data: bytes) -> PaillierPrivateKey:
    """Rebuild a private key from `private_key_to_bytes` output."""
    # Messages below never quote the input: it is key material.
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedPayloadError("A serialized private key must be bytes.")
    if len(data) > MAX_KEY_BITS:
        raise MalformedPayloadError("Serialized private key is too long to be a Paillier key.")
    try:
        payload = json.loads(bytes(data).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedPayloadError("Serialized private key is not valid JSON.") from None
    if not isinstance(payload, dict) or payload.get("format") != PRIVATE_KEY_FORMAT:
        raise MalformedPayloadError(f"Serialized private key is not in {PRIVATE_KEY_FORMAT}.")
    p = _parse_hex(payload.get("p"), what="Private key p", max_digits=MAX_KEY_BITS // 4)
    q = _parse_hex(payload.get("q"), what="Private key q", max_digits=MAX_KEY_BITS // 4)
    if p == q or not gmpy2.is_prime(p, 30) or not gmpy2.is_prime(q, 30):
        raise MalformedPayloadError("Serialized private key does not hold two distinct primes.")
    return PaillierPrivateKey(PaillierPublicKey(p * q), p, q)
