"""Money in double entry: transfers, idempotency, overdrafts, balances that sum to zero."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum

from ledger import selectors, services
from ledger.errors import IdempotencyConflictError, InsufficientFundsError
from ledger.models import Account, AccountKind, Entry, Transfer
from tests.ledger.conftest import key

pytestmark = pytest.mark.django_db


def total_balance() -> int:
    return Account.objects.aggregate(total=Sum("balance_minor"))["total"] or 0


def test_a_deposit_moves_money_from_outside_into_the_wallet_and_writes_one_entry(alice):
    made = services.deposit(user=alice, amount_minor=2_500, idempotency_key=key(), memo="top up")
    wallet = services.account_wallet_for_user(user=alice)
    assert selectors.account_balance(account=wallet) == 2_500
    assert selectors.account_balance(account=services.account_external()) == -2_500
    assert total_balance() == 0
    entry = Entry.objects.get()
    assert entry.kind == "account.deposit"
    assert made.entry_id == entry.seq
    assert entry.payload == {
        "transfer": {
            "amount_minor": 2_500,
            "credit": wallet.public_id,
            "credit_kind": "wallet",
            "debit": services.account_external().public_id,
            "debit_kind": "external",
            "memo": "top up",
        }
    }


def test_a_transfer_debits_one_account_and_credits_the_other(alice, bob, fund):
    alice_wallet = fund(alice, 1_000)
    bob_wallet = services.account_wallet_for_user(user=bob)
    made = services.transfer(
        debit=alice_wallet,
        credit=bob_wallet,
        amount_minor=300,
        idempotency_key=key(),
        memo="thanks",
        kind="payout.settled",
        campaign_id=9,
    )
    assert selectors.account_balance(account=alice_wallet) == 700
    assert selectors.account_balance(account=bob_wallet) == 300
    # The caller's objects show the new balances too.
    assert (alice_wallet.balance_minor, bob_wallet.balance_minor) == (700, 300)
    assert made.entry.kind == "payout.settled"
    assert made.entry.campaign_id == 9
    assert total_balance() == 0


def test_a_repeated_key_with_the_same_request_returns_the_original_transfer(alice):
    same = key()
    first = services.deposit(user=alice, amount_minor=100, idempotency_key=same, memo="once")
    again = services.deposit(user=alice, amount_minor=100, idempotency_key=same, memo="once")
    assert again.pk == first.pk
    assert Transfer.objects.count() == 1
    assert Entry.objects.count() == 1
    assert selectors.wallet_summary_for_user(user=alice)["balance_minor"] == 100


def test_a_repeated_key_with_a_different_request_is_an_error_and_changes_nothing(alice):
    same = key()
    services.deposit(user=alice, amount_minor=100, idempotency_key=same, memo="once")
    with pytest.raises(IdempotencyConflictError, match="already used for a different transfer"):
        services.deposit(user=alice, amount_minor=999, idempotency_key=same, memo="once")
    assert Transfer.objects.count() == 1
    assert selectors.wallet_summary_for_user(user=alice)["balance_minor"] == 100


def test_an_overdraft_is_refused_with_a_clear_error_and_changes_nothing(alice, bob, fund):
    alice_wallet = fund(alice, 50)
    bob_wallet = services.account_wallet_for_user(user=bob)
    entries = Entry.objects.count()
    with pytest.raises(InsufficientFundsError) as caught:
        services.transfer(
            debit=alice_wallet,
            credit=bob_wallet,
            amount_minor=51,
            idempotency_key=key(),
            memo="too much",
        )
    assert f"Account {alice_wallet.public_id} holds 50 minor units" in str(caught.value)
    assert "Nothing was transferred" in str(caught.value)
    assert selectors.account_balance(account=alice_wallet) == 50
    assert selectors.account_balance(account=bob_wallet) == 0
    assert Entry.objects.count() == entries
    assert Transfer.objects.count() == 1


def test_an_overdraft_inside_a_larger_transaction_leaves_it_usable(alice, bob, fund):
    # sonar_ui catches InsufficientFundsError and answers the user: the transaction must live on.
    alice_wallet = fund(alice, 10)
    with transaction.atomic():
        services.ledger_append(kind="campaign.launched", payload={"campaign": 1}, campaign_id=1)
        with pytest.raises(InsufficientFundsError):
            services.transfer(
                debit=alice_wallet,
                credit=services.account_escrow_for_campaign(campaign_id=1),
                amount_minor=11,
                idempotency_key=key(),
                memo="bounty",
                kind="bounty.escrowed",
            )
        services.ledger_append(kind="campaign.cancelled", payload={"campaign": 1}, campaign_id=1)
    assert list(Entry.objects.values_list("kind", flat=True)) == [
        "account.deposit",
        "campaign.launched",
        "campaign.cancelled",
    ]


def test_escrow_holds_a_bounty_and_pays_it_out(alice, bob, carol, fund):
    alice_wallet = fund(alice, 1_000)
    escrow = services.account_escrow_for_campaign(campaign_id=42)
    services.transfer(
        debit=alice_wallet,
        credit=escrow,
        amount_minor=1_000,
        idempotency_key=key(),
        memo="bounty",
        kind="bounty.escrowed",
        campaign_id=42,
    )
    for miner, amount in ((bob, 600), (carol, 300)):
        services.transfer(
            debit=escrow,
            credit=services.account_wallet_for_user(user=miner),
            amount_minor=amount,
            idempotency_key=key(),
            memo="payout",
            kind="payout.settled",
            campaign_id=42,
        )
    with pytest.raises(InsufficientFundsError):
        services.transfer(
            debit=escrow,
            credit=alice_wallet,
            amount_minor=101,
            idempotency_key=key(),
            memo="refund",
            kind="bounty.refunded",
        )
    assert selectors.account_balance(account=escrow) == 100
    assert escrow.kind == AccountKind.ESCROW
    assert total_balance() == 0


def test_accounts_are_made_once_and_found_by_public_id(alice):
    wallet = services.account_wallet_for_user(user=alice)
    assert services.account_wallet_for_user(user=alice).pk == wallet.pk
    assert wallet.public_id.startswith("acct_")
    assert services.account_by_public_id(public_id=wallet.public_id).pk == wallet.pk
    with pytest.raises(Account.DoesNotExist):
        services.account_by_public_id(public_id="acct_nobody")
    assert services.account_escrow_for_campaign(campaign_id=5).pk == (
        services.account_escrow_for_campaign(campaign_id=5).pk
    )
    assert services.account_external().kind == AccountKind.EXTERNAL


@pytest.mark.parametrize(
    ("amount", "message"),
    [(0, "positive whole number"), (-5, "positive whole number"), (1.5, "positive whole number")],
)
def test_bad_amounts_are_refused(alice, amount, message):
    with pytest.raises(ValueError, match=message):
        services.deposit(user=alice, amount_minor=amount, idempotency_key=key(), memo="x")
    assert not Transfer.objects.exists()


def test_a_transfer_to_the_same_account_is_refused(alice, fund):
    wallet = fund(alice, 10)
    with pytest.raises(ValueError, match="two different accounts"):
        services.transfer(
            debit=wallet, credit=wallet, amount_minor=1, idempotency_key=key(), memo=""
        )


def test_transfers_for_an_account_lists_both_directions(alice, bob, fund):
    alice_wallet = fund(alice, 100)
    bob_wallet = services.account_wallet_for_user(user=bob)
    services.transfer(
        debit=alice_wallet, credit=bob_wallet, amount_minor=40, idempotency_key=key(), memo="a"
    )
    assert [t.amount_minor for t in selectors.transfers_for_account(account=alice_wallet)] == [
        40,
        100,
    ]
    assert [t.amount_minor for t in selectors.transfers_for_account(account=bob_wallet)] == [40]


def test_a_retry_that_raced_past_the_first_check_returns_the_original(alice, monkeypatch):
    # Two servers got the same request; the other one committed while this one waited.
    same = key()
    first = services.deposit(user=alice, amount_minor=70, idempotency_key=same, memo="once")
    real_lookup = services._transfer_by_key
    lookups = iter([None])
    monkeypatch.setattr(
        services, "_transfer_by_key", lambda k: next(lookups, None) or real_lookup(k)
    )
    again = services.deposit(user=alice, amount_minor=70, idempotency_key=same, memo="once")
    assert again.pk == first.pk
    assert Entry.objects.count() == 1  # the racing entry was rolled back with its transfer
    assert selectors.wallet_summary_for_user(user=alice)["balance_minor"] == 70
