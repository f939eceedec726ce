"""A balance changes only by a transfer, and only what the transfers hold can be spent."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from ledger.errors import BalanceForgedError
from ledger.models import Account, AccountKind, Transfer
from ledger.services import account_wallet_for_user, transfer
from tests.ledger.conftest import sql, triggers_off

pytestmark = pytest.mark.django_db


def _refused(statement: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        sql(statement, params)
    return str(caught.value)


def test_a_plain_update_raising_a_balance_is_refused(alice, fund):
    wallet = fund(alice, 908_000)
    message = _refused(
        "UPDATE ledger_account SET balance_minor = %s WHERE id = %s", [5_908_000, wallet.pk]
    )
    assert "only by a transfer" in message
    assert Account.objects.get(pk=wallet.pk).balance_minor == 908_000


def test_a_plain_update_lowering_a_balance_is_refused_too(alice, fund):
    wallet = fund(alice, 500)
    _refused(
        "UPDATE ledger_account SET balance_minor = balance_minor - 1 WHERE id = %s", [wallet.pk]
    )
    assert Account.objects.get(pk=wallet.pk).balance_minor == 500


def test_the_orm_cannot_set_a_balance_either(alice, fund):
    wallet = fund(alice, 500)
    with pytest.raises(DatabaseError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance_minor=10**9)
    assert Account.objects.get(pk=wallet.pk).balance_minor == 500


def test_an_account_cannot_be_created_with_money_in_it(alice):
    message = _refused(
        "INSERT INTO ledger_account (public_id, kind, user_id, campaign_id, balance_minor, "
        "created_at) VALUES ('acct_forged', 'wallet', %s, NULL, 1000000, CURRENT_TIMESTAMP)",
        [alice.pk],
    )
    assert "only by a transfer" in message
    assert not Account.objects.filter(public_id="acct_forged").exists()


def test_a_transfer_still_moves_both_balances(alice, bob, fund):
    wallet = fund(alice, 1_000)
    target = account_wallet_for_user(user=bob)
    transfer(debit=wallet, credit=target, amount_minor=300, idempotency_key="k1", memo="m")
    assert Account.objects.get(pk=wallet.pk).balance_minor == 700
    assert Account.objects.get(pk=target.pk).balance_minor == 300
    assert Transfer.objects.filter(debit=wallet).count() == 1


def test_a_forged_balance_cannot_be_spent(alice, bob, fund):
    wallet = fund(alice, 908_000)
    target = account_wallet_for_user(user=bob)
    # What someone with the database's owner rights could still do: switch the guard off.
    with transaction.atomic(), triggers_off():
        sql("UPDATE ledger_account SET balance_minor = 5908000 WHERE id = %s", [wallet.pk])
    with pytest.raises(BalanceForgedError, match="does not match its transfers"):
        transfer(
            debit=wallet, credit=target, amount_minor=5_908_000, idempotency_key="k", memo="bounty"
        )
    # Even what the transfers do cover is refused until the operator looks.
    with pytest.raises(BalanceForgedError):
        transfer(debit=wallet, credit=target, amount_minor=1, idempotency_key="k2", memo="m")
    assert Account.objects.get(pk=target.pk).balance_minor == 0
    assert not Transfer.objects.filter(credit=target).exists()


def test_the_outside_world_account_is_not_held_to_its_transfers(alice, fund):
    # The external account is where deposits come from: its balance goes negative by design.
    fund(alice, 100)
    external = Account.objects.get(kind=AccountKind.EXTERNAL)
    assert external.balance_minor == -100
