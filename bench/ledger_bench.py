"""Ledger throughput on PostgreSQL, printed as JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/ledger_bench.py

For 1 and 8 writer processes, in one run, on a scratch database it creates and drops:

- chained_per_s: ledger_append calls per second, each in its own transaction (head lock, hash,
  linked insert, commit);
- plain_per_s: plain INSERTs of the very same rows into a copy of the table without triggers,
  each in its own transaction.atomic() like the chained appends, by the same number of
  processes (plain_autocommit_per_s: the same without the explicit transaction, for context);
- verify_per_s: ledger_verify (every hash, link, transfer, balance, checkpoint root and
  signature) over 100 000 entries, with as many worker processes as writers (at most one per
  CPU: verify_jobs);
- hash_per_s: sha256 over the same entries' canonical bytes already in memory, one thread;
- read_per_s: for context, the same entries' columns as ledger_verify selects them, streamed out
  of PostgreSQL with COPY by as many processes as verify_jobs, which do nothing with them. No
  verifier that reads the ledger from PostgreSQL can be faster, so read_over_hash is the best
  verify_over_hash this machine allows;
- inclusion_proofs: an inclusion proof at the full tree size, computed from every entry hash (as
  before the Merkle-node cache) against the API's cached path, cold and then warm.

Targets: chained_per_s / plain_per_s >= 0.3 at 8 writers; verify_per_s / hash_per_s >= 0.25.
Each figure is the median of --repeat runs; each ratio the median of the runs' ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django(database_url: str | None = None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmined.settings")
    import django

    django.setup()


# --- worker processes ---------------------------------------------------------------------------


def _chained_worker(database_url: str, count: int, index: int, barrier, results) -> None:
    _django(database_url)
    from django.db import connection, transaction

    from ledger.services import ledger_append

    connection.ensure_connection()
    barrier.wait()
    started = time.time()
    for i in range(count):
        with transaction.atomic():
            ledger_append(
                kind="gradient.submitted",
                payload={"campaign": 1, "gradient": index * 1_000_000 + i, "n_samples": 100},
                campaign_id=1,
            )
    results.put((started, time.time()))


def _plain_worker(database_url: str, rows: list, in_transaction: bool, barrier, results) -> None:
    _django(database_url)
    from django.db import connection, transaction

    insert = (
        "INSERT INTO bench_plain_entry (seq, version, created_at, kind, campaign_id, "
        "payload_json, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    connection.ensure_connection()
    barrier.wait()
    started = time.time()
    for row in rows:
        if in_transaction:
            # The shape of the chained run: each row in its own transaction.atomic().
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(insert, row)
        else:
            with connection.cursor() as cursor:
                cursor.execute(insert, row)  # autocommit: the server's implicit transaction
    results.put((started, time.time()))


def _read_worker(database_url: str, start: int, upto: int, barrier, results) -> None:
    import psycopg

    from ledger.chainscan import POSTGRES_ROWS_SQL

    with psycopg.connect(database_url) as conn:
        # ledger_verify's own SELECT, without its batch LIMIT, streamed as one COPY.
        select = psycopg.ClientCursor(conn).mogrify(
            POSTGRES_ROWS_SQL.rsplit(" LIMIT ", 1)[0], [start, upto]
        )
        barrier.wait()
        started = time.time()
        rows = 0
        with conn.cursor().copy(f"COPY ({select}) TO STDOUT") as copy:
            for _row in copy:
                rows += 1
    if rows != upto - start + 1:
        raise SystemExit(f"read {rows} rows of seq {start}..{upto}")
    results.put((started, time.time()))


def _run(target, argument_lists: list[tuple]) -> float:
    """Start one process per argument list together; return the wall time they took."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(argument_lists))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*arguments, barrier, results))
        for arguments in argument_lists
    ]
    for process in processes:
        process.start()
    spans = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a worker process failed (exit {process.exitcode})")
    return max(end for _, end in spans) - min(start for start, _ in spans)


# --- the figures --------------------------------------------------------------------------------


def measure_appends(database_url: str, writers: int, appends: int) -> dict[str, float]:
    """Chained appends, and plain inserts of the same rows, per second, with that many writers."""
    from django.db import connection

    from ledger.models import Entry

    per_writer = appends // writers
    first_new = Entry.objects.count() + 1
    seconds = _run(_chained_worker, [(database_url, per_writer, index) for index in range(writers)])
    figures = {"chained_per_s": per_writer * writers / seconds}
    rows = list(
        Entry.objects.filter(seq__gte=first_new)
        .order_by("seq")
        .values_list(
            "seq",
            "version",
            "created_at",
            "kind",
            "campaign_id",
            "payload_json",
            "prev_hash",
            "hash",
        )
    )
    for key, in_transaction in (("plain_per_s", True), ("plain_autocommit_per_s", False)):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_plain_entry")
        seconds = _run(
            _plain_worker,
            [(database_url, rows[index::writers], in_transaction) for index in range(writers)],
        )
        figures[key] = len(rows) / seconds
    return figures


def fill(total: int) -> None:
    """Grow the ledger to total entries: nine events for every transfer, in big transactions."""
    from django.contrib.auth.models import User
    from django.db import transaction

    from ledger import services
    from ledger.models import Entry

    people = [User.objects.get_or_create(username=f"bench-{n}")[0] for n in range(8)]
    wallets = [services.account_wallet_for_user(user=person) for person in people]
    for person in people:
        services.deposit(
            user=person, amount_minor=10**9, idempotency_key=str(uuid.uuid4()), memo=""
        )
    count = Entry.objects.count()
    while count < total:
        with transaction.atomic():
            for i in range(min(1_000, total - count)):
                if i % 10 == 0:
                    services.transfer(
                        debit=wallets[i % 8],
                        credit=wallets[(i + 3) % 8],
                        amount_minor=1 + i,
                        idempotency_key=str(uuid.uuid4()),
                        memo="bench payout",
                        kind="payout.settled",
                        campaign_id=1,
                    )
                else:
                    services.ledger_append(
                        kind="gradient.submitted",
                        payload={"campaign": 1, "gradient": count + i, "blob": "ab" * 32},
                        campaign_id=1,
                    )
        count = Entry.objects.count()


def canonical_bytes_in_memory() -> list[bytes]:
    from ledger.canonical import LEAF_PREFIX, entry_canonical_bytes, format_timestamp
    from ledger.models import Entry

    return [
        LEAF_PREFIX
        + entry_canonical_bytes(
            version=version,
            seq=seq,
            prev_hash=prev_hash,
            kind=kind,
            campaign_id=campaign_id,
            payload_json=payload_json,
            timestamp=format_timestamp(created_at),
        )
        for seq, version, created_at, kind, campaign_id, payload_json, prev_hash, _hash in (
            Entry.objects.order_by("seq").values_list(
                "seq",
                "version",
                "created_at",
                "kind",
                "campaign_id",
                "payload_json",
                "prev_hash",
                "hash",
            )
        )
    ]


def measure_hashing(data: list[bytes]) -> float:
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for item in data:
        sha256(item).digest()
    return len(data) / (time.perf_counter() - started)


def measure_read(database_url: str, entries: int, jobs: int) -> float:
    """Entries per second PostgreSQL streams to jobs processes that only count them."""
    step = -(-entries // jobs)
    pieces = [
        (database_url, start, min(start + step - 1, entries))
        for start in range(1, entries + 1, step)
    ]
    return entries / _run(_read_worker, pieces)


def measure_proofs(size: int, samples: int = 20) -> dict:
    """Inclusion proofs at tree size `size`: from every leaf, as a cache-less server must,
    against the cached-node path the API uses, cold (empty cache) and warm."""
    import random

    from ledger import merkle, selectors
    from ledger.models import MerkleNode

    seqs = random.Random(7).sample(range(1, size + 1), samples)
    started = time.perf_counter()
    for seq in seqs[:3]:
        leaves = selectors.entry_leaf_hashes(size=size)
        merkle.root(leaves)
        merkle.inclusion_proof(leaves, seq - 1, size)
    from_leaves = (time.perf_counter() - started) / 3
    MerkleNode.objects.all().delete()
    started = time.perf_counter()
    selectors.inclusion_proof_for(seq=seqs[0], size=size)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for seq in seqs:
        selectors.inclusion_proof_for(seq=seq, size=size)
    warm = (time.perf_counter() - started) / samples
    return {
        "tree_size": size,
        "from_leaves_ms": round(from_leaves * 1000, 1),
        "cached_cold_ms": round(cold * 1000, 1),
        "cached_warm_ms": round(warm * 1000, 2),
        "warm_over_from_leaves": round(warm / from_leaves, 4),
    }


def measure_verify(jobs: int) -> float:
    from ledger.verification import ledger_verify

    report = ledger_verify(jobs=jobs)
    return report.entries / report.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="Entries to verify.")
    parser.add_argument("--appends", type=int, default=2_000, help="Appends per measurement.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per figure (median).")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database; the benchmark is for it.")
    # Blobs and the platform's signing key go to a throw-away directory.
    os.environ["SONAR_VAR_DIR"] = tempfile.mkdtemp(prefix="ledger-bench-")
    # Production settings: with DEBUG on, Django would also log every query it runs.
    os.environ["DEBUG"] = "False"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CAPSULE_PASSPHRASE", secrets.token_urlsafe(20))
    _django()
    from django.db import connection

    # A scratch database made by Django's test machinery (migrations and triggers included).
    original = connection.settings_dict["NAME"]
    scratch = f"ledger_bench_{os.getpid()}"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    database_url = url.rsplit("/", 1)[0] + "/" + scratch
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
            cursor.execute(
                "CREATE TABLE bench_plain_entry (LIKE ledger_entry INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
            )
        rows = []
        for writers in (1, 8):
            samples = [
                measure_appends(database_url, writers, args.appends) for _ in range(args.repeat)
            ]
            row: dict = {"writers": writers}
            for key in ("chained_per_s", "plain_per_s", "plain_autocommit_per_s"):
                row[key] = statistics.median(sample[key] for sample in samples)
            row["chained_over_plain"] = statistics.median(
                sample["chained_per_s"] / sample["plain_per_s"] for sample in samples
            )
            rows.append(row)
        fill(args.entries)
        from ledger.services import checkpoint_create

        checkpoint_create()
        with connection.cursor() as cursor:
            # What autovacuum does on its own a little later; without statistics the planner
            # sorts a freshly filled table on disk instead of walking the primary key.
            cursor.execute("ANALYZE")
        data = canonical_bytes_in_memory()[: args.entries]
        proofs = measure_proofs(len(data))
        for row in rows:
            # ledger_verify's processes: one per writer, but no more than the CPUs.
            row["verify_jobs"] = min(row["writers"], os.cpu_count() or 1)
            hashing, verifying, reading, ratios, floors = [], [], [], [], []
            for _ in range(args.repeat):
                # Hashing just before and just after each verification: a busy machine slows
                # both alike, so the ratio is taken pair by pair.
                before = measure_hashing(data)
                verifying.append(measure_verify(jobs=row["verify_jobs"]))
                reading.append(measure_read(database_url, len(data), row["verify_jobs"]))
                hashing.append((before + measure_hashing(data)) / 2)
                ratios.append(verifying[-1] / hashing[-1])
                floors.append(reading[-1] / hashing[-1])
            row["verify_per_s"] = statistics.median(verifying)
            row["hash_per_s"] = statistics.median(hashing)
            row["read_per_s"] = statistics.median(reading)
            row["verify_over_hash"] = statistics.median(ratios)
            row["read_over_hash"] = statistics.median(floors)
        for row in rows:
            for key in ("chained_per_s", "plain_per_s", "plain_autocommit_per_s"):
                row[key] = round(row[key])
            for key in ("verify_per_s", "hash_per_s", "read_per_s"):
                row[key] = round(row[key])
            for key in ("chained_over_plain", "verify_over_hash", "read_over_hash"):
                row[key] = round(row[key], 3)
        eight = rows[-1]
        print(
            json.dumps(
                {
                    "benchmark": "ledger",
                    "database": version,
                    "cpus": os.cpu_count(),
                    "verified_entries": len(data),
                    "appends_per_measurement": args.appends,
                    "results": rows,
                    "inclusion_proofs": proofs,
                    "targets": {
                        "chained_over_plain_at_8_writers": 0.3,
                        "verify_over_hash": 0.25,
                    },
                    "targets_met": eight["chained_over_plain"] >= 0.3
                    and max(r["verify_over_hash"] for r in rows) >= 0.25,
                },
                indent=2,
            )
        )
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=False)


if __name__ == "__main__":
    main()
