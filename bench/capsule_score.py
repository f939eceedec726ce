"""What does the capsule add to scoring a model? Prints one JSON object to stdout.

For d = 30 weights, 1 000 validation rows (synthetic binary data, fixed seed) and a 2048-bit
key, in a throw-away SONAR_VAR_DIR with its own SQLite database and capsule GPG home:
- score_s: capsule.services.model_score on a stored blob, in steady state (key and validation
  set already unwrapped in this process, as in a worker evaluating gradient after gradient).
- floor_s: the parts no implementation can skip, timed in this run on the same ciphertexts and
  data: d decryptions (the faster of syft's batched CRT decryption and phe's raw_decrypt, which
  also uses CRT) plus numpy scoring of the plaintext weights on the 1 000 rows.
- ratio = score_s / floor_s; the target is at most 1.5.
- score_cold_s: the first model_score in a fresh process (gpg unwraps key and data, the CSV is
  parsed), reported for information.
Every timing is the median of interleaved repetitions.

Run: .venv/bin/python bench/capsule_score.py
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
D = 30
M_VALIDATION = 1_000
KEY_BITS = 2048
REPEATS = 21
SEED = 20240601
CAMPAIGN = 1


def _configure(var_dir: Path) -> None:
    """Point Django at a private var/ (SQLite, blobs, GPG homes) and real 2048-bit keys."""
    os.environ["SONAR_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "openmined.settings"
    os.environ["PAILLIER_KEY_BITS"] = str(KEY_BITS)
    os.environ["PAILLIER_ALLOW_INSECURE_KEYS"] = "False"
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CAPSULE_GNUPGHOME", "BLOB_STORAGE_BACKEND"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _validation_csv(rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """m rows of d features and a boolean label from a noisy linear rule; also weights near it."""
    X = rng.normal(size=(M_VALIDATION, D))
    true = rng.normal(size=D + 1)
    labels = X @ true[:-1] + true[-1] + rng.normal(scale=2.0, size=M_VALIDATION) > 0
    names = [f"x{i}" for i in range(D)]
    lines = [",".join([*names, "label"])]
    lines += [
        ",".join([*(repr(float(v)) for v in row), "true" if label else "false"])
        for row, label in zip(X, labels, strict=True)
    ]
    weights = true + rng.normal(scale=0.3, size=D + 1)
    return ("\n".join(lines) + "\n").encode(), weights


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="sonar-bench-capsule-"))
    try:
        _configure(var_dir)
        print(json.dumps(_measure(), indent=2))
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(var_dir / "capsule-gnupg"), "--kill", "gpg-agent"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(var_dir, ignore_errors=True)


def _measure() -> dict:
    from capsule import cache, services
    from capsule.models import CampaignKey
    from ledger.services import blob_get
    from syft.models import model_for
    from syft.wire import encrypted_loads

    rng = np.random.default_rng(SEED)
    csv, weights = _validation_csv(rng)
    services.validation_data_store(
        campaign_id=CAMPAIGN,
        input_schema=[{"name": f"x{i}", "type": "float"} for i in range(D)],
        output_schema=[{"name": "label", "type": "bool"}],
        data=csv,
    )
    spec = services.ModelSpec(algorithm="logistic_regression", n_features=D)
    started = time.perf_counter()
    services.keypair_create(campaign_id=CAMPAIGN, spec=spec)
    keygen_s = time.perf_counter() - started
    blob = services.model_encrypt_initial(campaign_id=CAMPAIGN, weights=weights)

    cache.private_keys.clear()
    cache.validation_sets.clear()
    score_cold_s = _timed(
        lambda: services.model_score(campaign_id=CAMPAIGN, encrypted_weights_blob=blob)
    )

    # The floor's inputs, prepared outside its timings: ciphertexts, key, matrices, model.
    row = CampaignKey.objects.get(campaign_id=CAMPAIGN)
    private_key = cache.private_keys.get((CAMPAIGN, row.fingerprint))
    table = cache.validation_sets.get(next(iter(cache.validation_sets._items)))
    encrypted = encrypted_loads(
        blob_get(blob), public_key=services.public_key_for(campaign_id=CAMPAIGN)
    )
    ciphertexts = encrypted.ciphertexts
    model = model_for(spec.algorithm, n_features=D)
    plaintext = encrypted.decrypt(private_key)
    score = services.model_score(campaign_id=CAMPAIGN, encrypted_weights_blob=blob)
    assert score == model.score(plaintext, table.features, table.target)

    timings: dict[str, list[float]] = {
        "score": [],
        "decrypt_syft": [],
        "decrypt_phe": [],
        "scoring": [],
    }
    for _ in range(REPEATS):
        timings["score"].append(
            _timed(lambda: services.model_score(campaign_id=CAMPAIGN, encrypted_weights_blob=blob))
        )
        timings["decrypt_syft"].append(_timed(lambda: encrypted.decrypt(private_key)))
        timings["decrypt_phe"].append(
            _timed(lambda: [private_key.raw_decrypt(c) for c in ciphertexts])
        )
        timings["scoring"].append(
            _timed(lambda: model.score(plaintext, table.features, table.target))
        )
    median = {name: statistics.median(values) for name, values in timings.items()}
    floor_s = min(median["decrypt_syft"], median["decrypt_phe"]) + median["scoring"]
    return {
        "d": D,
        "m_validation": M_VALIDATION,
        "key_bits": KEY_BITS,
        "score_s": round(median["score"], 6),
        "floor_s": round(floor_s, 6),
        "ratio": round(median["score"] / floor_s, 3),
        "decrypt_syft_s": round(median["decrypt_syft"], 6),
        "decrypt_phe_s": round(median["decrypt_phe"], 6),
        "scoring_s": round(median["scoring"], 6),
        "score_cold_s": round(score_cold_s, 4),
        "keypair_create_s": round(keygen_s, 3),
        "score": score,
        "repeats": REPEATS,
    }


if __name__ == "__main__":
    main()
