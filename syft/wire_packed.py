"""Wire format v2 for packed gradients (JSON and binary), and a reader of versions 1 and 2.

See docs/wire-format.md, section 9. A v2 payload always carries ONE gradient (summands = 1):
the number of summands is not on the wire, so a sender cannot widen its own bound with it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any, Literal

from phe.paillier import PaillierPublicKey

from syft.encrypted import EncryptedArray
from syft.errors import MalformedPayloadError, PayloadTooLargeError, UnsupportedVersionError
from syft.packing import PackedArray
from syft.validation import MAX_DIMENSIONS, check_shape, shape_size
from syft.wire import (
    _CHECKSUM_BYTES,
    _DIMENSION,
    _HEX_DIGITS,
    BINARY_MAGIC,
    DEFAULT_MAX_BYTES,
    _check_expected_shape,
    _check_exponent,
    _check_fingerprint,
    _check_magnitude,
    _check_size,
    _reject_constant,
    _reject_duplicate_keys,
    _require_int,
    _width,
    encrypted_loads,
)

__all__ = [
    "PACKED_BINARY_VERSION",
    "PACKED_JSON_FORMAT",
    "gradient_loads",
    "packed_dumps",
    "packed_from_bytes",
    "packed_from_json",
    "packed_to_bytes",
    "packed_to_json",
]

PACKED_JSON_FORMAT = "syft.encrypted/2"
PACKED_BINARY_VERSION = 2
_JSON_FIELDS = frozenset(
    {
        "format",
        "key_fingerprint",
        "shape",
        "exponent",
        "value_bits",
        "headroom_bits",
        "slots",
        "ciphertexts",
    }
)
# magic, version, ndim, width, exponent, value bits, headroom bits, slots, fingerprint
_HEADER = struct.Struct(">4sBBHiIHH32s")


def _check_single(packed: PackedArray) -> None:
    if packed.summands != 1:
        raise MalformedPayloadError(
            "Only a single packed gradient goes on the wire; decrypt sums where they are made."
        )


def packed_to_json(packed: PackedArray) -> dict[str, Any]:
    """The JSON form: layout fields and hex ciphertexts zero-padded to 2·W digits."""
    _check_single(packed)
    _check_exponent(packed.exponent)
    digits = 2 * _width(packed.public_key)
    return {
        "format": PACKED_JSON_FORMAT,
        "key_fingerprint": packed.fingerprint(),
        "shape": list(packed.shape),
        "exponent": packed.exponent,
        "value_bits": packed.layout.value_bits,
        "headroom_bits": packed.layout.headroom_bits,
        "slots": packed.layout.slots,
        "ciphertexts": [format(int(value), f"0{digits}x") for value in packed.ciphertexts],
    }


def _build(
    public_key: PaillierPublicKey,
    ciphertexts: list[int],
    *,
    shape: tuple[int, ...],
    exponent: int,
    value_bits: int,
    headroom_bits: int,
    slots: int,
) -> PackedArray:
    _check_exponent(exponent)
    _check_magnitude(value_bits, public_key)
    if slots < 1:
        raise MalformedPayloadError("A packed payload needs at least one slot per ciphertext.")
    expected = -(-shape_size(shape) // slots)
    if len(ciphertexts) != expected:
        raise MalformedPayloadError(
            f"Packed payload holds {len(ciphertexts)} ciphertexts; shape {shape} at {slots} "
            f"slots each needs {expected}."
        )
    return PackedArray.from_ciphertexts(
        public_key,
        ciphertexts,
        shape=shape,
        exponent=exponent,
        value_bits=value_bits,
        headroom_bits=headroom_bits,
        slots=slots,
    )


def packed_from_json(
    data: Any,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PackedArray:
    """Parse and fully validate the JSON form of a packed gradient."""
    if not isinstance(data, dict) or data.get("format") != PACKED_JSON_FORMAT:
        raise MalformedPayloadError(f"Field 'format' must be {PACKED_JSON_FORMAT!r}.")
    if set(data) != _JSON_FIELDS:
        missing = sorted(_JSON_FIELDS - set(data))
        extra = sorted(set(data) - _JSON_FIELDS)
        raise MalformedPayloadError(
            f"Packed gradient is missing {missing or 'nothing'} and has unexpected "
            f"{extra or 'nothing'}."
        )
    if not isinstance(data["key_fingerprint"], str):
        raise MalformedPayloadError("Field 'key_fingerprint' must be a hex string.")
    _check_fingerprint(data["key_fingerprint"], public_key)
    shape = check_shape(data["shape"])
    _check_expected_shape(shape, expected_shape)
    width = _width(public_key)
    texts = data["ciphertexts"]
    if not isinstance(texts, list):
        raise MalformedPayloadError("Field 'ciphertexts' must be a list of hex strings.")
    _check_size(len(texts), 2 * width, max_bytes)
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
    fields = {
        name: _require_int(data[name], name)
        for name in ("exponent", "value_bits", "headroom_bits", "slots")
    }
    return _build(public_key, ciphertexts, shape=shape, **fields)


def packed_to_bytes(packed: PackedArray) -> bytes:
    """The binary form: v2 header, fixed-width big-endian ciphertexts, sha256 trailer."""
    _check_single(packed)
    _check_exponent(packed.exponent)
    width = _width(packed.public_key)
    header = _HEADER.pack(
        BINARY_MAGIC,
        PACKED_BINARY_VERSION,
        len(packed.shape),
        width,
        packed.exponent,
        packed.layout.value_bits,
        packed.layout.headroom_bits,
        packed.layout.slots,
        bytes.fromhex(packed.fingerprint()),
    )
    parts = [header, *(_DIMENSION.pack(size) for size in packed.shape)]
    parts.extend(int(value).to_bytes(width, "big") for value in packed.ciphertexts)
    body = b"".join(parts)
    return body + hashlib.sha256(body).digest()


def packed_from_bytes(
    data: bytes,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PackedArray:
    """Parse and fully validate the binary form of a packed gradient."""
    data = bytes(data)
    if len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"Packed payload is {len(data)} bytes; the limit is {max_bytes}."
        )
    if len(data) < _HEADER.size + _CHECKSUM_BYTES or not data.startswith(BINARY_MAGIC):
        raise MalformedPayloadError("Packed payload is truncated or lacks the syft magic bytes.")
    body, checksum = data[:-_CHECKSUM_BYTES], data[-_CHECKSUM_BYTES:]
    if hashlib.sha256(body).digest() != checksum:
        raise MalformedPayloadError(
            "Packed payload fails its sha256 checksum; it was truncated or corrupted."
        )
    _, version, ndim, width, exponent, value_bits, headroom, slots, fingerprint = (
        _HEADER.unpack_from(body)
    )
    if version != PACKED_BINARY_VERSION:
        raise UnsupportedVersionError(
            f"Binary version {version} is not a packed gradient (version {PACKED_BINARY_VERSION})."
        )
    if ndim > MAX_DIMENSIONS:
        raise MalformedPayloadError(f"Shape has {ndim} dimensions; at most {MAX_DIMENSIONS}.")
    _check_fingerprint(fingerprint.hex(), public_key)
    if width != _width(public_key):
        raise MalformedPayloadError(
            f"Ciphertexts are {width} bytes wide; this key's are {_width(public_key)}."
        )
    offset = _HEADER.size
    if len(body) < offset + ndim * _DIMENSION.size:
        raise MalformedPayloadError("Packed payload is truncated inside its shape.")
    shape = tuple(
        _DIMENSION.unpack_from(body, offset + index * _DIMENSION.size)[0] for index in range(ndim)
    )
    offset += ndim * _DIMENSION.size
    _check_expected_shape(shape, expected_shape)
    if (len(body) - offset) % width:
        raise MalformedPayloadError("Packed payload ends inside a ciphertext.")
    ciphertexts = [
        int.from_bytes(body[start : start + width], "big")
        for start in range(offset, len(body), width)
    ]
    return _build(
        public_key,
        ciphertexts,
        shape=shape,
        exponent=exponent,
        value_bits=value_bits,
        headroom_bits=headroom,
        slots=slots,
    )


def packed_dumps(packed: PackedArray, *, form: Literal["binary", "json"] = "binary") -> bytes:
    """Serialize to bytes: binary, or canonical JSON (sorted keys, no spaces) in UTF-8."""
    if form == "binary":
        return packed_to_bytes(packed)
    if form == "json":
        return json.dumps(packed_to_json(packed), sort_keys=True, separators=(",", ":")).encode()
    raise ValueError(f"Unknown form {form!r}; use 'binary' or 'json'.")


def gradient_loads(
    data: bytes | str,
    *,
    public_key: PaillierPublicKey,
    expected_shape: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> EncryptedArray | PackedArray:
    """Read a gradient in wire format v1 (EncryptedArray) or v2 (PackedArray), either form."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedPayloadError("An encrypted payload must be bytes.")
    data = bytes(data)
    options = {"public_key": public_key, "expected_shape": expected_shape, "max_bytes": max_bytes}
    if data.startswith(BINARY_MAGIC) and len(data) > 4 and data[4] == PACKED_BINARY_VERSION:
        return packed_from_bytes(data, **options)
    if data.lstrip().startswith(b"{") and len(data) <= max_bytes:
        try:
            parsed = json.loads(
                data.decode("utf-8"),
                object_pairs_hook=_reject_duplicate_keys,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError) as error:
            if isinstance(error, MalformedPayloadError):
                raise
            raise MalformedPayloadError("Encrypted payload is not valid JSON.") from None
        if isinstance(parsed, dict) and parsed.get("format") == PACKED_JSON_FORMAT:
            return packed_from_json(parsed, **options)
    return encrypted_loads(data, **options)
