"""ledger_verify's worker processes reach exactly the verdicts of a single pass."""

from __future__ import annotations

import pytest

from ledger import services, verification
from ledger.errors import ChainBrokenError
from ledger.models import Entry, Transfer
from tests.ledger.conftest import append, key, on_postgres, sql

pytestmark = [on_postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def long_chain(alice, bob, platform_key, monkeypatch):
    """300 entries with transfers among them and checkpoints at awkward sizes."""
    wallet = services.account_wallet_for_user(user=alice)
    other = services.account_wallet_for_user(user=bob)
    services.deposit(user=alice, amount_minor=10_000, idempotency_key=key(), memo="")
    for n in range(299):
        if n % 7 == 0:
            services.transfer(
                debit=wallet, credit=other, amount_minor=3, idempotency_key=key(), memo=f"{n}"
            )
        else:
            append(payload={"n": n}, campaign_id=1 + n % 5)
        if Entry.objects.count() in (1, 64, 137, 256):
            services.checkpoint_create()
    services.checkpoint_create()
    # Small enough that 300 entries split into Merkle-aligned segments of 64 for 3 workers.
    monkeypatch.setattr(verification, "PARALLEL_MIN_ENTRIES", 1)
    monkeypatch.setattr(verification, "PARALLEL_MIN_SEGMENT", 16)
    yield
    # Committed tampering: put the triggers back as the migrations left them.
    for table in ("ledger_entry", "ledger_head", "ledger_transfer"):
        sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    sql(
        "DO $$ DECLARE t record; BEGIN FOR t IN SELECT c.relname, g.tgname FROM pg_trigger g "
        "JOIN pg_class c ON c.oid = g.tgrelid WHERE NOT g.tgisinternal AND c.relname LIKE "
        "'ledger_%' LOOP EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I', t.relname, "
        "t.tgname); END LOOP; END $$"
    )


def verdict(jobs: int) -> str:
    try:
        report = verification.ledger_verify(jobs=jobs)
    except ChainBrokenError as exc:
        return f"broken: {exc}"
    return f"ok: {report.entries} {report.transfers} {report.checkpoints} {report.root_hash}"


def tamper(statement: str, params: list | None) -> None:
    sql("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
    sql(statement, params)
    sql("ALTER TABLE ledger_entry ENABLE ALWAYS TRIGGER ledger_entry_refuse_update")
    sql("ALTER TABLE ledger_entry ENABLE ALWAYS TRIGGER ledger_entry_refuse_delete")


def test_workers_and_a_single_pass_agree_on_a_sound_chain(long_chain):
    single = verdict(1)
    assert single.startswith("ok: 300 ")
    assert verdict(3) == single
    assert verdict(2) == single


def test_workers_name_the_same_first_bad_seq_as_a_single_pass(long_chain):
    original = Entry.objects.get(seq=200)
    tamper("UPDATE ledger_entry SET payload_json = %s WHERE seq = 200", ['{"n":-1}'])
    assert verdict(3) == verdict(1)
    assert verdict(3).startswith("broken: seq 200: its hash does not match")
    tamper("UPDATE ledger_entry SET payload_json = %s WHERE seq = 200", [original.payload_json])
    # The first entry of a segment, whose link only the stitching can check.
    tamper("UPDATE ledger_entry SET prev_hash = %s WHERE seq = 65", ["0" * 64])
    assert verdict(3) == verdict(1)
    assert verdict(3).startswith("broken: seq 65:")
    tamper(
        "UPDATE ledger_entry SET prev_hash = %s WHERE seq = 65", [Entry.objects.get(seq=64).hash]
    )
    # A transfer row changed behind its entry's back, in the third segment.
    moved = Transfer.objects.filter(entry_id__gt=128).order_by("entry_id").first()
    sql("ALTER TABLE ledger_transfer DISABLE TRIGGER USER")
    sql("UPDATE ledger_transfer SET amount_minor = 4 WHERE id = %s", [moved.pk])
    assert verdict(3) == verdict(1)
    assert verdict(3).startswith(f"broken: seq {moved.entry_id}: transfer #{moved.pk}")
    sql("UPDATE ledger_transfer SET amount_minor = 3 WHERE id = %s", [moved.pk])
    # The last entry of a segment, whose absence only the next segment can notice.
    tamper("DELETE FROM ledger_entry WHERE seq = 64", None)
    assert verdict(3) == verdict(1)
    assert verdict(3).startswith("broken: seq 64: missing")


def test_a_worker_sees_the_callers_snapshot_not_entries_committed_since(db):
    import psycopg

    from ledger.chainscan import scan_postgres_segment

    for n in range(3):
        append(payload={"n": n})
    conninfo = verification._postgres_conninfo()
    with psycopg.connect(**conninfo) as caller:
        caller.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot = caller.execute("SELECT pg_export_snapshot()").fetchone()[0]
        append(payload={"n": "committed after the snapshot"})

        def scan(snapshot: str | None):
            return scan_postgres_segment(conninfo, snapshot, verification.KINDS, 1, 8, 8, [])

        in_snapshot, current = scan(snapshot), scan(None)

    assert (in_snapshot.count, in_snapshot.error) == (3, None)
    assert (current.count, current.error) == (4, None)
    assert in_snapshot.last_hash == Entry.objects.get(seq=3).hash
