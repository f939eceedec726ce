"""What does the campaign pipeline add to evaluating a gradient? Prints one JSON object.

A linear-regression campaign with d = 30 features, 1 000 validation rows (synthetic, fixed seed)
and a 2048-bit key, in a throw-away SONAR_VAR_DIR with its own SQLite database, and two real
Celery workers on Redis, as in production: an evaluation worker (SONAR_ROLES=evaluation, no
capsule secret) and a capsule worker (SONAR_ROLES=capsule), each its own process.

- per_gradient_s: for each of `gradients` gradients (each computed by a mine on the then-current
  model, not timed), the time from submission to verdict through the whole pipeline:
  `gradient_submit` here (parse and validate the ciphertexts, store the blob, ledger entry), then
  the evaluation worker's advance (campaign lock, blobs read back and re-hashed, homomorphic
  update), the capsule worker's decrypt-and-score, and the evaluation worker's decision (version,
  payout and ledger entries), with the two hops through Redis. Median over the gradients.
- floor_s: the parts no implementation can skip, timed alone in the same run on the same
  ciphertexts: the homomorphic update (`model.update`) plus `capsule.model_score` of its result.
  Median of as many repetitions.
- ratio = per_gradient_s / floor_s; the target is at most 1.5.
- launch_s: from the launch request to the campaign being open (the capsule makes the key pair,
  encrypts and scores v0; Sonar escrows), through both workers.

Run: .venv/bin/python bench/campaign_pipeline.py   (Redis on BENCH_REDIS_URL, default
redis://127.0.0.1:6379/15, which it empties first; BENCH_DATABASE_URL names an empty PostgreSQL
database to use instead of the throw-away SQLite file, which three writing processes contend on)
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
D = 30
M_VALIDATION = 1_000
M_MINE = 5_000
GRADIENTS = 8
KEY_BITS = 2048
SEED = 20261128


BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
# An empty PostgreSQL database to use instead of SQLite (three processes write to it at once).
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")


def _configure(var_dir: Path) -> None:
    """A private var/ (SQLite, blobs, GPG homes), Redis, real workers and 2048-bit keys."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "GNUPGHOME",
                 "CAPSULE_GNUPGHOME", "SONAR_ROLES"):  # fmt: skip
        os.environ.pop(name, None)
    os.environ.update(
        SONAR_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="openmined.settings",
        PAILLIER_KEY_BITS=str(KEY_BITS),
        PAILLIER_ALLOW_INSECURE_KEYS="False",
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL=BROKER,
    )
    if DATABASE:
        os.environ["DATABASE_URL"] = DATABASE
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _csv(X: np.ndarray, y: np.ndarray) -> bytes:
    out = io.StringIO()
    out.write(",".join([f"x{i}" for i in range(D)] + ["y"]) + "\n")
    for row, target in zip(X, y, strict=True):
        out.write(",".join(repr(float(v)) for v in (*row, target)) + "\n")
    return out.getvalue().encode()


def _worker(var_dir: Path, role: str, queues: str) -> subprocess.Popen:
    env = {**os.environ, "SONAR_ROLES": role}
    if role != "capsule":
        env.pop("CAPSULE_PASSPHRASE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "openmined", "worker", "-Q", queues,
         "--concurrency", "1", "--hostname", f"bench-{role}@localhost", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=(var_dir / f"{role}.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _wait_for_workers(names: set[str], timeout: float = 120) -> None:
    from openmined.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answered = {name for reply in app.control.ping(timeout=0.5) for name in reply}
        if names <= answered:
            return
    raise RuntimeError(f"workers {sorted(names)} did not answer within {timeout}s")


def main() -> None:
    import redis

    var_dir = Path(tempfile.mkdtemp(prefix="sonar-bench-pipeline-"))
    workers: list[subprocess.Popen] = []
    try:
        redis.Redis.from_url(BROKER).flushdb()
        _configure(var_dir)
        workers = [
            _worker(var_dir, "evaluation", "evaluation,default"),
            _worker(var_dir, "capsule", "capsule"),
        ]
        _wait_for_workers({"bench-evaluation@localhost", "bench-capsule@localhost"})
        print(json.dumps(_run()))
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)


def _wait(predicate, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not answer in time")
        time.sleep(0.005)
    return value


def _run() -> dict:
    from django.db import transaction

    from accounts.services import user_signup
    from capsule import services as capsule
    from ledger import services as ledger
    from sonar_ui import services
    from sonar_ui.models import Campaign, GradientSubmission
    from syft import keys, wire

    rng = np.random.default_rng(SEED)
    true_w = rng.normal(size=D)
    X_val = rng.normal(size=(M_VALIDATION, D))
    y_val = X_val @ true_w + rng.normal(scale=0.5, size=M_VALIDATION)
    X_mine = rng.normal(size=(M_MINE, D))
    y_mine = X_mine @ true_w + rng.normal(scale=0.5, size=M_MINE)

    owner = user_signup(username="owner", email="o@example.org", password="bench pass 123!",
                        roles=["data scientist"])  # fmt: skip
    miner = user_signup(username="miner", email="m@example.org", password="bench pass 123!",
                        roles=["miner"])  # fmt: skip
    with transaction.atomic():
        ledger.deposit(user=owner, amount_minor=10_000_000, idempotency_key="bench", memo="bench")
    payout_account = ledger.account_wallet_for_user(user=miner).public_id
    campaign = services.campaign_create(
        owner=owner,
        name="bench",
        input_schema=[{"name": f"x{i}", "type": "float"} for i in range(D)],
        output_schema=[{"name": "y", "type": "float"}],
        algorithm="linear_regression",
        bounty_minor=1_000_000,
        target_accuracy=0.999,
        learning_rate=0.02,
    )
    services.campaign_validation_data_upload(campaign=campaign, user=owner, data=_csv(X_val, y_val))
    launch_started = time.perf_counter()
    services.campaign_launch(campaign_id=campaign.id, user=owner)
    _wait(lambda: Campaign.objects.get(pk=campaign.id).status == "open")
    launch_s = time.perf_counter() - launch_started
    campaign.refresh_from_db()
    model = services.campaign_model(campaign)
    public_key = capsule.public_key_for(campaign_id=campaign.id)
    statistics_mine = model.sufficient_statistics(X_mine, y_mine)
    shape = tuple(model.weight_shape)

    pipeline, floor = [], []
    for _ in range(GRADIENTS):
        campaign.refresh_from_db()
        current = campaign.versions.get(number=campaign.current_version)
        weights = wire.encrypted_loads(
            ledger.blob_get(current.blob_address), public_key=public_key, expected_shape=shape
        )
        gradient = model.encrypted_gradient(weights, statistics_mine).obfuscate()
        body = wire.encrypted_to_json(gradient)

        # The floor: update plus scoring, alone, on the same ciphertexts.
        start = time.perf_counter()
        candidate = model.update(
            weights, gradient, learning_rate=campaign.learning_rate, n_samples=M_MINE
        )
        address = ledger.blob_put(wire.encrypted_to_bytes(candidate), kind="model")
        capsule.model_score(campaign_id=campaign.id, encrypted_weights_blob=address)
        floor.append(time.perf_counter() - start)

        start = time.perf_counter()
        submission, _ = services.gradient_submit(
            campaign_id=campaign.id,
            user=miner,
            base_version=current.number,
            n_samples=M_MINE,
            payout_account=payout_account,
            gradient=body,
            idempotency_key=str(uuid.uuid4()),
        )
        _wait(lambda s=submission.pk: GradientSubmission.objects.filter(
            pk=s, status__in=["accepted", "rejected"]).exists())  # fmt: skip
        pipeline.append(time.perf_counter() - start)

    final = Campaign.objects.get(pk=campaign.id)
    per_gradient = statistics.median(pipeline)
    floor_s = statistics.median(floor)
    accepted = final.gradients.filter(status="accepted").count()
    return {
        "d": D,
        "gradients": GRADIENTS,
        "key_bits": KEY_BITS,
        "launch_s": round(launch_s, 3),
        "per_gradient_s": round(per_gradient, 4),
        "floor_s": round(floor_s, 4),
        "ratio": round(per_gradient / floor_s, 3),
        "accepted": accepted,
        "best_accuracy": round((final.best_accuracy_ppm or 0) / 1e6, 4),
        "key_fingerprint": keys.public_key_fingerprint(public_key)[:16],
    }


if __name__ == "__main__":
    main()
