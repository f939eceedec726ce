"""ledger_append: one chain, written inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from ledger.canonical import GENESIS_HASH, entry_hash, format_timestamp
from ledger.errors import LedgerUsageError
from ledger.models import Entry, LedgerHead
from ledger.services import ledger_append
from tests.ledger.conftest import append, sql, triggers_off

pytestmark = pytest.mark.django_db


def test_entries_form_a_gapless_chain_from_the_genesis_hash():
    first = append(payload={"n": 1})
    second = append(kind="campaign.launched", payload={"campaign": 7}, campaign_id=7)
    third = append(payload={"n": 3})
    stored = list(Entry.objects.order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS_HASH
    assert stored[1].prev_hash == first.hash
    assert stored[2].prev_hash == second.hash
    assert LedgerHead.objects.get().seq == 3
    assert LedgerHead.objects.get().hash == third.hash


def test_the_hash_covers_every_field_and_the_timestamp_is_utc():
    entry = append(kind="model.published", payload={"version": 0, "blob": "ab" * 32}, campaign_id=3)
    stored = Entry.objects.get(seq=entry.seq)
    assert stored.created_at.utcoffset().total_seconds() == 0
    assert stored.created_at.tzinfo is not None
    assert stored.hash == entry_hash(
        version=1,
        seq=stored.seq,
        prev_hash=stored.prev_hash,
        kind="model.published",
        campaign_id=3,
        payload_json='{"blob":"' + "ab" * 32 + '","version":0}',
        timestamp=format_timestamp(stored.created_at.astimezone(UTC)),
    )
    assert stored.payload == {"version": 0, "blob": "ab" * 32}
    # What ledger_append returned is what was stored.
    assert (entry.seq, entry.hash, entry.payload_json) == (
        stored.seq,
        stored.hash,
        stored.payload_json,
    )


def test_appending_outside_a_transaction_is_refused_with_a_clear_error():
    with pytest.raises(LedgerUsageError, match=r"inside transaction\.atomic\(\)"):
        # pytest-django wraps each test in a transaction; leave it to look like autocommit.
        connection = transaction.get_connection()
        saved = connection.in_atomic_block
        connection.in_atomic_block = False
        try:
            ledger_append(kind="gradient.submitted", payload={})
        finally:
            connection.in_atomic_block = saved
    assert not Entry.objects.exists()


def test_a_float_in_the_payload_raises_valueerror_and_writes_nothing():
    with pytest.raises(ValueError, match=r"payload\['accuracy'\] is a float"):
        append(payload={"accuracy": 0.93})
    assert not Entry.objects.exists()


def test_an_unknown_kind_is_refused_naming_the_valid_ones():
    with pytest.raises(ValueError, match=r"'campaign\.exploded' is not a ledger entry kind"):
        append(kind="campaign.exploded")
    assert not Entry.objects.exists()


def test_the_transfer_key_is_reserved_for_transfers():
    with pytest.raises(ValueError, match="reserved"):
        append(payload={"transfer": {"amount_minor": 5}})


def test_a_failed_business_transaction_leaves_no_entry(alice):
    class BusinessRuleBroken(Exception):
        pass

    append(payload={"n": 1})
    with pytest.raises(BusinessRuleBroken), transaction.atomic():
        User.objects.filter(pk=alice.pk).update(first_name="Alice")
        ledger_append(kind="campaign.launched", payload={"campaign": 1}, campaign_id=1)
        raise BusinessRuleBroken
    assert Entry.objects.count() == 1
    assert LedgerHead.objects.get().seq == 1
    alice.refresh_from_db()
    assert alice.first_name == ""
    # The next append takes the seq the rolled-back one would have had: no gap.
    assert append(payload={"n": 2}).seq == 2


def test_timestamps_never_go_backwards_even_if_the_clock_does():
    first = append()
    # As if the clock that wrote seq 1 ran an hour ahead of the one writing now.
    ahead = first.created_at + timedelta(hours=1)
    with triggers_off():
        sql("UPDATE ledger_head SET created_at = %s WHERE id = 1", [ahead])
    second = append()
    assert second.created_at == ahead
    assert verify_ok()


def verify_ok() -> bool:
    from ledger.verification import ledger_verify

    return ledger_verify().entries == 2
