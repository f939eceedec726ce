"""The binary upload is about half the JSON one (bench/upload_sizes.py measures it at 2048 bits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from syft.keys import keypair_generate

BENCH = Path(__file__).resolve().parents[2] / "bench" / "upload_sizes.py"


def test_the_binary_wine_gradient_is_its_raw_ciphertexts_plus_under_a_hundred_bytes():
    spec = importlib.util.spec_from_file_location("upload_sizes", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    public_key, _ = keypair_generate(1024, allow_insecure_for_tests=True)
    wine = bench.sizes(public_key, bench.CASES["wine_one_vs_one"])
    assert wine["ciphertexts"] == 42
    assert wine["raw_ciphertext_bytes"] < wine["binary_bytes"] < wine["raw_ciphertext_bytes"] + 100
    assert wine["json_bytes"] > 2 * wine["raw_ciphertext_bytes"]
    assert wine["binary_gzip_bytes"] >= wine["binary_bytes"] - 100  # ciphertexts do not compress
