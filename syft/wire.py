"""Wire format v1 for encrypted arrays: JSON (hex) and compact binary; see docs/wire-format.md."""

import hashlib
import json
import struct
from typing import Any, Literal

from phe.paillier import PaillierPublicKey

from syft.encrypted import EncryptedArray, _key_numbers
from syft.errors import (
    KeyMismatchError,
    MalformedPayloadError,
    PayloadTooLargeError,
    ShapeMismatchError,
    UnsupportedVersionError,
)
from syft.keys import public_key_fingerprint
from syft.validation import DEFAULT_MAX_VALUES, MAX_DIMENSIONS, check_shape, shape_size

__all__ = [
    "BINARY_MAGIC",
    "BINARY_VERSION",
    "DEFAULT_MAX_BYTES",
    "EXPONENT_LIMIT",
    "JSON_FORMAT",
    "blob_address",
    "encrypted_dumps",
    "encrypted_from_bytes",
    "encrypted_from_json",
    "encrypted_loads",
    "encrypted_to_bytes",
    "encrypted_to_json",
]

JSON_FORMAT = "syft.encrypted/1"
_JSON_FORMAT_FAMILY = "syft.encrypted/"
_JSON_REQUIRED = frozenset({"format", "key_fingerprint", "shape", "exponent", "ciphertexts"})
_JSON_OPTIONAL = frozenset({"magnitude_bits"})
BINARY_MAGIC = b"SYFT"
BINARY_VERSION = 1
# magic, version, ndim, width (bytes per ciphertext), exponent, magnitude bits, fingerprint
_HEADER = struct.Struct(">4sBBHiI32s")
_DIMENSION = struct.Struct(">I")
_CHECKSUM_BYTES = 32
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def blob_address(data: bytes) -> str:
    """The content address of a blob: sha256 hex of its bytes."""
    return hashlib.sha256(data).hexdigest()


def _width(public_key: PaillierPublicKey) -> int:
    """Bytes per ciphertext: the byte length of n²."""
    _, nsquare, _, _ = _key_numbers(int(public_key.n))
    return (nsquare.bit_length() + 7) // 8


# Decoding divides by 2**exponent; a bound keeps a hostile exponent from costing gigabytes.
# Float64 alone reaches exponent 1127 (53 bits below the smallest subnormal), and products
# add exponents, so the bound is generous.
EXPONENT_LIMIT = 1 << 16


def _check_exponent(exponent: int) -> None:
    """Refuse exponents outside the range the wire format carries."""
    if not -EXPONENT_LIMIT < exponent < EXPONENT_LIMIT:
        raise MalformedPayloadError(
            f"Exponent {exponent} is outside the wire format's range (|exponent| < 2**16)."
        )


# -- JSON --------------------------------------------------------------------------------


def encrypted_to_json(array: EncryptedArray) -> dict[str, Any]:
    """The JSON form: hex ciphertexts, zero-padded to a fixed width, in C order."""
    digits = 2 * _width(array.public_key)
    _check_exponent(array.exponent)
    return {
        "format": JSON_FORMAT,
        "key_fingerprint": array.fingerprint(),
        "shape": list(array.shape),
        "exponent": array.exponent,
        "magnitude_bits": array.magnitude_bits,
        "ciphertexts": [format(value, f"0{digits}x") for value in array._ciphertexts],
    }


def _require_int(value: Any, field: str) -> int:
    """A JSON integer (not a bool, not a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedPayloadError(f"Field '{field}' must be an integer.")
    return value


def _check_fingerprint(fingerprint: str, public_key: PaillierPublicKey) -> None:
    """Refuse ciphertexts made under a different key than the one expected."""
    expected = public_key_fingerprint(public_key)
    if fingerprint.lower() != expected:
        raise KeyMismatchError(
            f"Ciphertexts were made under key {fingerprint[:12]}…, not the expected key "
            f"{expected[:12]}…."
        )


def _check_expected_shape(shape: tuple[int, ...], expected_shape: Any) -> None:
    """Refuse a payload whose shape differs from the one the caller needs."""
    if expected_shape is None:
        return
    expected = tuple(int(size) for size in expected_shape)
    if shape != expected:
        raise ShapeMismatchError(
            f"Encrypted array has {shape_size(shape)} values (shape {shape}); expected "
            f"{shape_size(expected)} (shape {expected})."
        )


def _check_size(count: int, width: int, max_bytes: int) -> None:
    """Refuse payloads that would exceed the caller's limits before parsing them."""
    if count > DEFAULT_MAX_VALUES or count * width > max_bytes:
        raise PayloadTooLargeError(
            f"Encrypted array of {count} values needs {count * width} bytes; the limit is "
            f"{min(max_bytes, DEFAULT_MAX_VALUES * width)}."
        )


def encrypted_from_json(
    data: Any,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EncryptedArray:
    """Parse and fully validate the JSON form of an encrypted array."""
    if not isinstance(data, dict):
        raise MalformedPayloadError("An encrypted array must be a JSON object.")
    version = data.get("format")
    if version != JSON_FORMAT:
        if isinstance(version, str) and version.startswith(_JSON_FORMAT_FAMILY):
            raise UnsupportedVersionError(
                f"Wire format {version!r} is not supported; this syft reads {JSON_FORMAT!r}."
            )
        raise MalformedPayloadError(f"Field 'format' must be {JSON_FORMAT!r}.")
    missing = sorted(_JSON_REQUIRED - set(data))
    if missing:
        raise MalformedPayloadError(f"Encrypted array is missing {', '.join(missing)}.")
    unexpected = sorted(set(data) - _JSON_REQUIRED - _JSON_OPTIONAL)
    if unexpected:
        raise MalformedPayloadError(f"Encrypted array has unexpected fields {unexpected}.")
    if not isinstance(data["key_fingerprint"], str):
        raise MalformedPayloadError("Field 'key_fingerprint' must be a hex string.")
    _check_fingerprint(data["key_fingerprint"], public_key)
    shape = check_shape(data["shape"])
    _check_expected_shape(shape, expected_shape)
    width = _width(public_key)
    count = shape_size(shape)
    _check_size(count, 2 * width, max_bytes)
    exponent = _require_int(data["exponent"], "exponent")
    _check_exponent(exponent)
    magnitude = data.get("magnitude_bits")
    if magnitude is not None:
        magnitude = _require_int(magnitude, "magnitude_bits")
        _check_magnitude(magnitude, public_key)
    texts = data["ciphertexts"]
    if not isinstance(texts, list):
        raise MalformedPayloadError("Field 'ciphertexts' must be a list of hex strings.")
    if len(texts) != count:
        raise MalformedPayloadError(
            f"Encrypted array lists {len(texts)} ciphertexts but its shape {shape} holds {count}."
        )
    ciphertexts = []
    for index, text in enumerate(texts):
        if (
            not isinstance(text, str)
            or not 0 < len(text) <= 2 * width
            or not _HEX_DIGITS.issuperset(text)
        ):
            raise MalformedPayloadError(
                f"Ciphertext at index {index} is not a hex string of at most {2 * width} digits."
            )
        ciphertexts.append(int(text, 16))
    return EncryptedArray.from_ciphertexts(
        public_key, ciphertexts, shape=shape, exponent=exponent, magnitude_bits=magnitude
    )


def _check_magnitude(magnitude: int, public_key: PaillierPublicKey) -> None:
    """A declared magnitude bound must fit the key's plaintext space."""
    _, _, _, capacity = _key_numbers(int(public_key.n))
    if not 0 <= magnitude <= capacity:
        raise MalformedPayloadError(
            f"Declared magnitude of {magnitude} bits is outside 0..{capacity} for this key."
        )


# -- binary ------------------------------------------------------------------------------


def encrypted_to_bytes(array: EncryptedArray) -> bytes:
    """The binary form: header, fixed-width big-endian ciphertexts, sha256 trailer."""
    width = _width(array.public_key)
    _check_exponent(array.exponent)
    header = _HEADER.pack(
        BINARY_MAGIC,
        BINARY_VERSION,
        array.ndim,
        width,
        array.exponent,
        array.magnitude_bits,
        bytes.fromhex(array.fingerprint()),
    )
    parts = [header]
    parts.extend(_DIMENSION.pack(size) for size in array.shape)
    parts.extend(int(value).to_bytes(width, "big") for value in array._ciphertexts)
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


def encrypted_from_bytes(
    data: bytes,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EncryptedArray:
    """Parse and fully validate the binary form of an encrypted array."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedPayloadError("A binary encrypted array must be bytes.")
    data = bytes(data)
    if len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"Encrypted payload is {len(data)} bytes; the limit is {max_bytes}."
        )
    if len(data) < _HEADER.size + _CHECKSUM_BYTES:
        raise MalformedPayloadError("Encrypted payload is truncated: shorter than its header.")
    if not data.startswith(BINARY_MAGIC):
        raise MalformedPayloadError("Encrypted payload does not start with the syft magic bytes.")
    body, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
    # Checked before anything else is trusted: a truncated or bit-flipped blob stops here.
    if hashlib.sha256(body).digest() != checksum:
        raise MalformedPayloadError(
            "Encrypted payload fails its sha256 checksum; it was truncated or corrupted."
        )
    _, version, ndim, width, exponent, magnitude, fingerprint = _HEADER.unpack_from(body)
    if version != BINARY_VERSION:
        raise UnsupportedVersionError(
            f"Binary wire format version {version} is not supported; this syft reads version "
            f"{BINARY_VERSION}."
        )
    if ndim > MAX_DIMENSIONS:
        raise MalformedPayloadError(
            f"Shape has {ndim} dimensions; at most {MAX_DIMENSIONS} are supported."
        )
    _check_fingerprint(fingerprint.hex(), public_key)
    if width != _width(public_key):
        raise MalformedPayloadError(
            f"Ciphertexts are {width} bytes wide; this key's are {_width(public_key)}."
        )
    offset = _HEADER.size
    if len(body) < offset + ndim * _DIMENSION.size:
        raise MalformedPayloadError("Encrypted payload is truncated inside its shape.")
    shape = tuple(
        _DIMENSION.unpack_from(body, offset + index * _DIMENSION.size)[0] for index in range(ndim)
    )
    offset += ndim * _DIMENSION.size
    _check_expected_shape(shape, expected_shape)
    count = shape_size(shape)
    _check_size(count, width, max_bytes)
    if len(body) != offset + count * width:
        raise MalformedPayloadError(
            f"Encrypted payload holds {len(body) - offset} bytes of ciphertexts; shape {shape} "
            f"needs {count * width}."
        )
    _check_exponent(exponent)
    _check_magnitude(magnitude, public_key)
    ciphertexts = [
        int.from_bytes(body[start : start + width], "big")
        for start in range(offset, len(body), width)
    ]
    return EncryptedArray.from_ciphertexts(
        public_key, ciphertexts, shape=shape, exponent=exponent, magnitude_bits=magnitude
    )


# -- either form -------------------------------------------------------------------------


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects with a repeated key are ambiguous; refuse them."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPayloadError(f"Encrypted array repeats the field {key!r}.")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON."""
    raise MalformedPayloadError(f"Encrypted array contains {name}, which is not valid JSON.")


def encrypted_dumps(array: EncryptedArray, *, form: Literal["binary", "json"] = "binary") -> bytes:
    """Serialize to bytes: binary, or canonical JSON (sorted keys, no spaces) in UTF-8."""
    if form == "binary":
        return encrypted_to_bytes(array)
    if form == "json":
        return json.dumps(encrypted_to_json(array), sort_keys=True, separators=(",", ":")).encode()
    raise ValueError(f"Unknown form {form!r}; use 'binary' or 'json'.")


def encrypted_loads(
    data: bytes | str,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EncryptedArray:
    """Parse either form, telling them apart by the first bytes (magic or '{')."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedPayloadError("An encrypted payload must be bytes.")
    data = bytes(data)
    if len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"Encrypted payload is {len(data)} bytes; the limit is {max_bytes}."
        )
    if data.startswith(BINARY_MAGIC):
        return encrypted_from_bytes(
            data, public_key=public_key, expected_shape=expected_shape, max_bytes=max_bytes
        )
    if data.lstrip().startswith(b"{"):
        try:
            parsed = json.loads(
                data.decode("utf-8"),
                object_pairs_hook=_reject_duplicate_keys,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError) as error:
            if isinstance(error, MalformedPayloadError):
                raise
            raise MalformedPayloadError(
                "Encrypted payload is neither valid JSON nor syft binary."
            ) from None
        return encrypted_from_json(
            parsed, public_key=public_key, expected_shape=expected_shape, max_bytes=max_bytes
        )
    raise MalformedPayloadError("Encrypted payload is neither syft binary nor a JSON object.")
