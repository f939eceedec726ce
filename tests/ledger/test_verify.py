"""ledger_verify recomputes everything and names the first seq that does not add up."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from ledger import selectors, services
from ledger.canonical import entry_hash, format_timestamp
from ledger.models import Entry
from tests.conftest import ROOT, worker_environment
from tests.ledger.conftest import append, key, sql, triggers_off

pytestmark = pytest.mark.django_db


def verify_fails() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("ledger_verify", stdout=io.StringIO(), stderr=io.StringIO())
    return str(caught.value)


def verify_passes() -> str:
    out = io.StringIO()
    call_command("ledger_verify", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def chain(alice, bob, fund, platform_key) -> list[Entry]:
    """Ten entries: deposits, a transfer, campaign events; and a signed checkpoint."""
    fund(alice, 1_000)
    for n in range(4):
        append(kind="gradient.submitted", payload={"campaign": 1, "gradient": n}, campaign_id=1)
    services.transfer(
        debit=services.account_wallet_for_user(user=alice),
        credit=services.account_wallet_for_user(user=bob),
        amount_minor=250,
        idempotency_key=key(),
        memo="for bob",
    )
    for n in range(4):
        append(kind="campaign.launched", payload={"campaign": n}, campaign_id=n + 1)
    services.checkpoint_create()
    return list(Entry.objects.order_by("seq"))


def test_an_intact_ledger_passes_with_a_one_line_summary(chain):
    summary = verify_passes()
    assert summary.count("\n") == 1
    assert summary.startswith("Ledger OK: 10 entries chained from genesis, 2 transfers")
    assert "1 checkpoints signed by" in summary


def test_an_empty_ledger_passes():
    assert verify_passes().startswith("Ledger OK: 0 entries")


def test_an_edited_payload_is_named_by_its_seq(chain):
    with triggers_off():
        sql(
            "UPDATE ledger_entry SET payload_json = %s WHERE seq = 4",
            ['{"campaign":1,"gradient":99}'],
        )
    message = verify_fails()
    assert "Ledger BROKEN: seq 4:" in message
    assert "hash does not match its contents" in message


def test_an_edited_hash_is_named_by_its_seq(chain):
    with triggers_off():
        sql("UPDATE ledger_entry SET hash = %s WHERE seq = 6", ["ab" * 32])
    assert "Ledger BROKEN: seq 6:" in verify_fails()


def test_a_deleted_row_is_named_as_missing(chain):
    with triggers_off():
        sql("DELETE FROM ledger_entry WHERE seq = 3")
    message = verify_fails()
    assert "Ledger BROKEN: seq 3:" in message
    assert "missing" in message


def test_a_deleted_last_row_is_named_as_missing(chain):
    with triggers_off():
        sql("DELETE FROM ledger_entry WHERE seq = 10")
    assert "Ledger BROKEN: seq 10:" in verify_fails()


def test_swapped_rows_are_named_at_the_first_of_them(chain):
    with triggers_off():
        sql("UPDATE ledger_entry SET seq = 1000 WHERE seq = 3")
        sql("UPDATE ledger_entry SET seq = 3 WHERE seq = 5")
        sql("UPDATE ledger_entry SET seq = 5 WHERE seq = 1000")
    assert "Ledger BROKEN: seq 3:" in verify_fails()


def test_a_row_inserted_mid_chain_is_caught_where_the_chain_breaks(chain):
    # The forger hashes their row properly onto seq 4 and renumbers the rest; the old seq 5,
    # now seq 6, was hashed with its old number and parent, so the chain breaks there.
    before = chain[3]
    forged_payload = '{"campaign":1,"gradient":1000}'
    forged_hash = entry_hash(
        version=1,
        seq=5,
        prev_hash=before.hash,
        kind="gradient.submitted",
        campaign_id=1,
        payload_json=forged_payload,
        timestamp=format_timestamp(before.created_at),
    )
    with triggers_off():
        for seq in range(10, 4, -1):
            sql("UPDATE ledger_transfer SET entry_id = %s WHERE entry_id = %s", [seq + 1, seq])
            sql("UPDATE ledger_entry SET seq = %s WHERE seq = %s", [seq + 1, seq])
        sql(
            "INSERT INTO ledger_entry (seq, version, created_at, kind, campaign_id, payload_json,"
            " prev_hash, hash) VALUES (5, 1, %s, 'gradient.submitted', 1, %s, %s, %s)",
            [before.created_at, forged_payload, before.hash, forged_hash],
        )
    assert "Ledger BROKEN: seq 6:" in verify_fails()


def test_a_row_added_past_the_head_is_named(chain):
    last = chain[-1]
    forged_hash = entry_hash(
        version=1,
        seq=11,
        prev_hash=last.hash,
        kind="account.deposit",
        campaign_id=None,
        payload_json="{}",
        timestamp="2099-01-01T00:00:00.000000Z",
    )
    with triggers_off():
        sql(
            "INSERT INTO ledger_entry (seq, version, created_at, kind, campaign_id, payload_json,"
            " prev_hash, hash) VALUES (11, 1, %s, 'account.deposit', NULL, '{}', %s, %s)",
            ["2099-01-01 00:00:00+00:00", last.hash, forged_hash],
        )
    message = verify_fails()
    assert "Ledger BROKEN: seq 11:" in message
    assert "beyond the head" in message


def test_a_rewritten_history_with_recomputed_hashes_is_caught_by_the_signed_checkpoint(chain):
    # The forger edits seq 7 and re-hashes everything after it, head included: only the
    # signature over the old Merkle root still remembers the truth.
    rows = list(Entry.objects.order_by("seq"))
    prev_hash = rows[5].hash
    with triggers_off():
        for entry in rows[6:]:
            payload = '{"campaign":99}' if entry.seq == 7 else entry.payload_json
            new_hash = entry_hash(
                version=1,
                seq=entry.seq,
                prev_hash=prev_hash,
                kind=entry.kind,
                campaign_id=entry.campaign_id,
                payload_json=payload,
                timestamp=format_timestamp(entry.created_at),
            )
            sql(
                "UPDATE ledger_entry SET payload_json = %s, prev_hash = %s, hash = %s "
                "WHERE seq = %s",
                [payload, prev_hash, new_hash, entry.seq],
            )
            prev_hash = new_hash
        sql("UPDATE ledger_head SET hash = %s WHERE id = 1", [prev_hash])
    message = verify_fails()
    assert "Ledger BROKEN: seq 1:" in message
    assert "checkpoint at tree size 10" in message


def test_an_edited_transfer_amount_is_named_by_its_entry(chain):
    transfer = selectors.transfers_for_account(account=services.account_external()).first()
    with triggers_off():
        sql("UPDATE ledger_transfer SET amount_minor = 5 WHERE id = %s", [transfer.pk])
    assert f"Ledger BROKEN: seq {transfer.entry_id}:" in verify_fails()


def test_a_balance_that_disagrees_with_its_transfers_is_named_by_account(chain, alice):
    wallet = services.account_wallet_for_user(user=alice)
    with triggers_off():  # the balance guard refuses this UPDATE otherwise
        sql(
            "UPDATE ledger_account SET balance_minor = balance_minor + 1 WHERE id = %s",
            [wallet.pk],
        )
    message = verify_fails()
    assert wallet.public_id in message
    assert "its transfers add up to 750" in message


def test_a_forged_checkpoint_signature_is_refused(chain):
    with triggers_off():
        sql("UPDATE ledger_checkpoint SET tree_size = 9, root_hash = %s", ["0" * 64])
    assert "checkpoint at tree size 9" in verify_fails()


def test_the_progress_bar_is_shown_when_asked(chain):
    err = io.StringIO()
    call_command("ledger_verify", "--progress", stdout=io.StringIO(), stderr=err)
    assert "entries" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_0_or_1_with_one_line(alice, fund, platform_key):
    fund(alice, 300)
    services.checkpoint_create()
    command = [sys.executable, "manage.py", "ledger_verify"]
    ok = subprocess.run(command, cwd=ROOT, env=worker_environment(), capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("Ledger OK: 1 entries")
    wallet = services.account_wallet_for_user(user=alice)
    with triggers_off():  # the balance guard refuses this UPDATE otherwise
        sql("UPDATE ledger_account SET balance_minor = 299 WHERE id = %s", [wallet.pk])
    bad = subprocess.run(
        command, cwd=ROOT, env=worker_environment(), capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert "Ledger BROKEN" in bad.stderr
    assert "holds 299 but its transfers add up to 300" in bad.stderr


def test_the_daily_beat_task_returns_the_summary_of_a_sound_ledger(chain, settings):
    from ledger.tasks import ledger_verify_task

    assert settings.CELERY_BEAT_SCHEDULE["ledger-verify"]["task"] == ledger_verify_task.name
    summary = ledger_verify_task.apply().get()
    assert summary.startswith("Ledger OK: 10 entries chained from genesis, 2 transfers")


def test_the_daily_beat_task_fails_and_logs_the_first_bad_seq(chain, caplog):
    from ledger.errors import ChainBrokenError
    from ledger.tasks import ledger_verify_task

    with triggers_off():
        sql("UPDATE ledger_entry SET kind = 'campaign.completed' WHERE seq = 7")
    with pytest.raises(ChainBrokenError, match=r"^seq 7: its hash does not match"):
        ledger_verify_task.apply()  # eager here, and set to propagate a task's failure
    broken = [r for r in caplog.records if r.levelname == "ERROR" and "Ledger BROKEN" in r.message]
    assert len(broken) == 1
    assert "seq 7:" in broken[0].getMessage()
