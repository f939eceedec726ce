"""Many writers at once, in real processes: no fork, no gap, no deadlock, money conserved."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from django.db.models import Sum

from ledger import services
from ledger.models import Account, Entry, Transfer
from ledger.verification import ledger_verify
from tests.conftest import ROOT, worker_environment
from tests.ledger.conftest import on_postgres

pytestmark = [on_postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_writers(tmp_path, mode: str, writers: int, count: int, accounts: list[str]) -> list[dict]:
    start = tmp_path / f"start-{uuid.uuid4()}"
    command = [sys.executable, "-m", "tests.ledger.concurrent_worker", mode]
    processes = [
        subprocess.Popen(
            [*command, str(index), str(count), str(start), *accounts],
            cwd=ROOT,
            env=worker_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(writers)
    ]
    start.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def wallets(users, fund_each: int) -> list:
    made = []
    for user in users:
        services.deposit(
            user=user, amount_minor=fund_each, idempotency_key=str(uuid.uuid4()), memo=""
        )
        made.append(services.account_wallet_for_user(user=user))
    return made


def test_eight_processes_of_mixed_appends_and_transfers_leave_one_valid_chain(
    tmp_path, alice, bob, carol, mallory, platform_key
):
    accounts = wallets([alice, bob, carol, mallory], 2_000)
    before = Entry.objects.count()
    results = run_writers(tmp_path, "mixed", 8, 200, [a.public_id for a in accounts])

    written = sum(r["appends"] + r["transfers"] for r in results)
    seqs = list(Entry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, before + written + 1))  # every write, no gap, no duplicate
    assert Transfer.objects.count() == 4 + sum(r["transfers"] for r in results)
    assert sum(r["refused"] for r in results) + written >= 8 * 150  # every op was attempted
    assert Account.objects.aggregate(total=Sum("balance_minor"))["total"] == 0
    assert not Account.objects.filter(kind="wallet", balance_minor__lt=0).exists()
    services.checkpoint_create()
    report = ledger_verify()
    assert report.entries == len(seqs)
    assert report.checkpoints == 1


def test_two_processes_of_500_opposing_transfers_end_at_the_starting_balances(tmp_path, alice, bob):
    first, second = wallets([alice, bob], 3_500)
    results = run_writers(tmp_path, "opposing", 2, 500, [first.public_id, second.public_id])
    assert [r["transfers"] for r in results] == [500, 500]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.balance_minor, second.balance_minor) == (3_500, 3_500)
    assert Transfer.objects.count() == 2 + 1_000
    assert ledger_verify().transfers == 1_002


def test_processes_racing_with_the_same_idempotency_keys_deposit_once_per_key(tmp_path, alice):
    wallet = services.account_wallet_for_user(user=alice)
    results = run_writers(tmp_path, "same_keys", 3, 30, [wallet.public_id])
    assert Transfer.objects.count() == 30
    assert all(r["ids"] == results[0]["ids"] for r in results)  # everyone got the same answers
    wallet.refresh_from_db()
    assert wallet.balance_minor == 30 * 11
    assert ledger_verify().entries == 30
