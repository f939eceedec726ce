"""How many bytes does a gradient upload take? Prints one JSON object.

The body pysonar sends for one gradient, under a 2048-bit key, for a 30-feature binary logistic
regression (breast cancer: 31 ciphertexts with the intercept) and for wine by one-vs-one (3 pairs
× 14 weights = 42 ciphertexts): as JSON (hex ciphertexts, the request's other fields included),
in the binary wire form (header, fixed-width ciphertexts, sha256 trailer), and each gzip-encoded.
Ciphertexts are uniformly random numbers, so gzip gains only on the hex text.

Run: .venv/bin/python bench/upload_sizes.py
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syft.encrypted import EncryptedArray
from syft.keys import keypair_generate
from syft.wire import encrypted_to_bytes, encrypted_to_json

CASES = {"breast_cancer_30_features": (31,), "wine_one_vs_one": (3, 14)}


def sizes(public_key, shape: tuple[int, ...]) -> dict[str, int]:
    values = np.random.default_rng(0).normal(size=shape)
    gradient = EncryptedArray.encrypt(public_key, values).obfuscate()
    fields = {"base_version": 3, "n_samples": 120, "payout_account": "acct_" + "0" * 32}
    as_json = json.dumps({**fields, "gradient": encrypted_to_json(gradient)}).encode()
    as_binary = encrypted_to_bytes(gradient)
    return {
        "ciphertexts": int(np.prod(shape)),
        "raw_ciphertext_bytes": int(np.prod(shape)) * public_key.n.bit_length() // 4,
        "json_bytes": len(as_json),
        "json_gzip_bytes": len(gzip.compress(as_json)),
        "binary_bytes": len(as_binary),
        "binary_gzip_bytes": len(gzip.compress(as_binary)),
    }


def main() -> None:
    public_key, _ = keypair_generate(2048)
    print(json.dumps({name: sizes(public_key, shape) for name, shape in CASES.items()}, indent=2))


if __name__ == "__main__":
    main()
