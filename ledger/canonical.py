"""The exact bytes the ledger hashes and signs, shared by the platform and remote verifiers.

No Django here: `python -m ledger.verify_remote` imports this module on a machine that has
nothing but Python, requests and gpg.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# Bumped only if the canonical form below changes; every entry records the version it used.
HASH_VERSION = 1
# prev_hash of the first entry. Fixed and public so anyone can start a verification from zero.
GENESIS_HASH = "0" * 64
# The one top-level key of every transfer's payload (and of no other entry's): anyone can tell
# money entries apart and replay the balances from the public chain alone.
TRANSFER_PAYLOAD_KEY = "transfer"
TRANSFER_PAYLOAD_PREFIX = '{"transfer":{'
# RFC 6962 domain prefix of a leaf: an entry hash is the Merkle leaf hash of its canonical bytes.
LEAF_PREFIX = b"\x00"

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
)


def _check_json_value(value: Any, path: str) -> None:
    """Refuse what JSON cannot carry exactly: floats, non-string keys, foreign types."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        raise ValueError(
            f"{path} is a float ({value!r}); the ledger stores no floats because their text "
            "form is not exact. Use an integer (e.g. minor units or parts per million) or a string."
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(
                    f"{path} has the key {key!r}; ledger payload keys must be strings."
                )
            _check_json_value(item, f"{path}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json_value(item, f"{path}[{index}]")
        return
    raise ValueError(
        f"{path} is a {type(value).__name__}; ledger payloads hold only strings, integers, "
        "booleans, null, lists and objects."
    )


def canonical_json(value: Any, *, name: str = "payload") -> str:
    """Sorted keys, no spaces, ASCII only (\\uXXXX escapes), no floats: one text per value."""
    _check_json_value(value, name)
    return _ENCODER.encode(value)


def encode_canonical(value: Any) -> str:
    """canonical_json without the type walk, for values built from typed database columns."""
    return _ENCODER.encode(value)


def payload_canonical(payload: dict) -> str:
    """The canonical text of an entry payload, which must be a JSON object."""
    if not isinstance(payload, dict):
        raise ValueError(
            f"The payload is a {type(payload).__name__}; a ledger payload is a dict (JSON object)."
        )
    return canonical_json(payload)


def format_timestamp(moment: datetime) -> str:
    """UTC with microseconds and a Z, e.g. 2026-01-31T09:15:00.000000Z."""
    if moment.tzinfo is None:
        raise ValueError("Ledger timestamps must be timezone-aware (UTC).")
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def parse_timestamp(text: str) -> datetime:
    """The inverse of format_timestamp."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# The canonical JSON object {"campaign", "kind", "payload", "prev_hash", "seq", "timestamp",
# "version"} spelled out as a template: keys already sorted, so verifying a long chain costs one
# string format per entry instead of a json.dumps. tests/ledger/test_canonical.py proves the two
# agree. It splits in two: what the writer knows before taking the head lock (campaign, kind,
# payload) and what only the head decides (prev_hash, seq, timestamp).
ENTRY_PREFIX_TEMPLATE = '{"campaign":%s,"kind":%s,"payload":%s,'
ENTRY_SUFFIX_TEMPLATE = '"prev_hash":"%s","seq":%d,"timestamp":"%s","version":%d}'
ENTRY_TEMPLATE = ENTRY_PREFIX_TEMPLATE + ENTRY_SUFFIX_TEMPLATE


def entry_prefix_bytes(*, kind: str, campaign_id: int | None, payload_json: str) -> bytes:
    """0x00 and the start of an entry's canonical bytes, up to where the head's fields begin."""
    return LEAF_PREFIX + (
        ENTRY_PREFIX_TEMPLATE
        % ("null" if campaign_id is None else int(campaign_id), kind_json(kind), payload_json)
    ).encode("ascii")


def kind_json(kind: str) -> str:
    """The kind as a JSON string."""
    return json.dumps(kind, ensure_ascii=True)


def entry_canonical_bytes(
    *,
    version: int,
    seq: int,
    prev_hash: str,
    kind: str,
    campaign_id: int | None,
    payload_json: str,
    timestamp: str,
) -> bytes:
    """The bytes an entry's hash commits to; payload_json must already be canonical."""
    return (
        ENTRY_TEMPLATE
        % (
            "null" if campaign_id is None else int(campaign_id),
            kind_json(kind),
            payload_json,
            prev_hash,
            seq,
            timestamp,
            version,
        )
    ).encode("ascii")


def entry_hash(
    *,
    version: int,
    seq: int,
    prev_hash: str,
    kind: str,
    campaign_id: int | None,
    payload_json: str,
    timestamp: str,
) -> str:
    """sha256(0x00 ‖ canonical bytes) in hex: also the entry's RFC 6962 Merkle leaf hash."""
    data = entry_canonical_bytes(
        version=version,
        seq=seq,
        prev_hash=prev_hash,
        kind=kind,
        campaign_id=campaign_id,
        payload_json=payload_json,
        timestamp=timestamp,
    )
    return hashlib.sha256(LEAF_PREFIX + data).hexdigest()


def transfer_payload(
    *,
    amount_minor: int,
    debit: str,
    debit_kind: str,
    credit: str,
    credit_kind: str,
    memo: str,
) -> dict:
    """The payload of a transfer's entry: enough for anyone to replay every balance."""
    return {
        TRANSFER_PAYLOAD_KEY: {
            "amount_minor": amount_minor,
            "credit": credit,
            "credit_kind": credit_kind,
            "debit": debit,
            "debit_kind": debit_kind,
            "memo": memo,
        }
    }


def checkpoint_statement(*, tree_size: int, root_hash: str, timestamp: str) -> bytes:
    """The bytes the platform key signs for a checkpoint."""
    return canonical_json(
        {
            "ledger": "openmined-sonar",
            "root_hash": root_hash,
            "timestamp": timestamp,
            "tree_size": int(tree_size),
            "version": HASH_VERSION,
        },
        name="checkpoint",
    ).encode("ascii")
