"""The database refuses to change the ledger, whoever asks and however."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from ledger.canonical import GENESIS_HASH
from ledger.models import Account, Checkpoint, Entry, LedgerHead, Transfer
from tests.ledger.conftest import append, on_postgres, sql

pytestmark = pytest.mark.django_db


def refused(statement: str, params: list | None = None) -> str:
    """Run SQL that must fail; return the database's message."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        sql(statement, params)
    return str(caught.value)


def test_raw_sql_update_of_an_entry_fails():
    entry = append(payload={"amount": 1})
    assert "append-only" in refused(
        "UPDATE ledger_entry SET payload_json = %s WHERE seq = %s", ['{"amount":2}', entry.seq]
    )
    assert Entry.objects.get(seq=entry.seq).payload_json == '{"amount":1}'


def test_raw_sql_delete_of_an_entry_fails():
    entry = append()
    assert "append-only" in refused("DELETE FROM ledger_entry WHERE seq = %s", [entry.seq])
    assert Entry.objects.filter(seq=entry.seq).exists()


@on_postgres
def test_truncate_fails_on_every_ledger_table():
    append()
    for table in ("ledger_entry", "ledger_transfer", "ledger_checkpoint", "ledger_account"):
        assert "append-only" in refused(f"TRUNCATE {table} CASCADE")
    assert Entry.objects.count() == 1


@on_postgres
def test_replica_mode_does_not_switch_the_triggers_off():
    # ENABLE ALWAYS: a session that says it is a replication apply worker is still refused.
    entry = append()
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("SET LOCAL session_replication_role = replica")
        sql("DELETE FROM ledger_entry WHERE seq = %s", [entry.seq])
    assert Entry.objects.filter(seq=entry.seq).exists()


def test_the_orm_cannot_edit_or_delete_entries_either():
    entry = append()
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(seq=entry.seq).update(kind="account.deposit")
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(seq=entry.seq).delete()
    assert Entry.objects.get(seq=entry.seq).kind == "gradient.submitted"


def test_transfers_and_checkpoints_are_frozen_too(alice, fund, platform_key):
    from ledger.services import checkpoint_create

    fund(alice, 500)
    transfer = Transfer.objects.get()
    assert "append-only" in refused(
        "UPDATE ledger_transfer SET amount_minor = 1 WHERE id = %s", [transfer.pk]
    )
    assert "append-only" in refused("DELETE FROM ledger_transfer WHERE id = %s", [transfer.pk])
    checkpoint = checkpoint_create()
    assert "append-only" in refused(
        "UPDATE ledger_checkpoint SET root_hash = %s WHERE id = %s", ["0" * 64, checkpoint.pk]
    )
    assert Checkpoint.objects.get().root_hash == checkpoint.root_hash


def test_an_account_may_change_only_its_balance_and_is_never_deleted(alice, fund):
    wallet = fund(alice, 100)
    refused("UPDATE ledger_account SET public_id = 'acct_stolen' WHERE id = %s", [wallet.pk])
    refused("DELETE FROM ledger_account WHERE id = %s", [wallet.pk])
    assert Account.objects.get(pk=wallet.pk).public_id == wallet.public_id


def test_an_entry_that_does_not_extend_the_head_is_refused():
    first = append()
    row = [
        "2026-01-01 00:00:00+00:00",
        "gradient.submitted",
        "{}",
        "f" * 64,
    ]
    insert = (
        "INSERT INTO ledger_entry (seq, version, created_at, kind, campaign_id, payload_json, "
        "prev_hash, hash) VALUES (%s, 1, %s, %s, NULL, %s, %s, %s)"
    )
    refused(insert, [3, *row[:3], first.hash, row[3]])  # would leave a gap at seq 2
    refused(insert, [2, *row[:3], GENESIS_HASH, row[3]])  # would fork from the genesis
    assert Entry.objects.count() == 1
    assert LedgerHead.objects.get().seq == 1


def test_the_head_only_moves_forward_by_one_to_an_existing_entry():
    append()
    refused("UPDATE ledger_head SET seq = 5 WHERE id = 1")
    refused("UPDATE ledger_head SET seq = 0, hash = %s WHERE id = 1", [GENESIS_HASH])
    refused("DELETE FROM ledger_head")
    assert LedgerHead.objects.get().seq == 1


def test_money_cannot_go_negative_even_through_raw_sql(alice, fund):
    wallet = fund(alice, 100)
    message = refused("UPDATE ledger_account SET balance_minor = -1 WHERE id = %s", [wallet.pk])
    # The balance guard (0005) now answers first; the CHECK constraint stays behind it.
    assert "only by a transfer" in message
    assert Account.objects.get(pk=wallet.pk).balance_minor == 100


def test_deleting_a_person_with_a_wallet_is_refused(alice, fund):
    from django.db.models import ProtectedError

    fund(alice, 1)
    with pytest.raises(ProtectedError):
        alice.delete()
    assert type(alice).objects.filter(pk=alice.pk).exists()
