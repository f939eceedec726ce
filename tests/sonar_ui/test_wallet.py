"""The wallet page: balance, every transfer with its ledger entry, test funds, deposit requests."""

from __future__ import annotations

import pytest
from django.test import Client

from ledger import services as ledger
from ledger.errors import LedgerUsageError
from ledger.models import DepositRequest, Transfer
from ledger.selectors import account_balance


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def balance(user) -> int:
    return account_balance(account=ledger.account_wallet_for_user(user=user))


def test_the_history_lists_deposit_escrow_payout_and_refund_with_ledger_links(
    alice, bob, diabetes, launched, submit
):
    from sonar_ui import services

    campaign_id = launched(alice, diabetes, bounty_minor=100_000)["id"]
    submit(bob, campaign_id, *diabetes.mines[0])
    services.campaign_evaluate_next(campaign_id=campaign_id)
    services.campaign_close(campaign_id=campaign_id, user=alice)
    services.campaign_settle(campaign_id=campaign_id)

    page = client_for(alice).get("/sonar/wallet/").content.decode()

    for what in ("Deposit", "Bounty into escrow", "Unspent bounty refunded"):
        assert what in page
    for transfer in Transfer.objects.filter(campaign_id=campaign_id):
        if transfer.kind != "payout.settled":
            assert f'href="/ledger/entries/{transfer.entry_id}/"' in page
    miner = client_for(bob).get("/sonar/wallet/").content.decode()
    assert "Payout" in miner and f'href="/sonar/campaigns/{campaign_id}/"' in miner


def test_the_history_is_paged(alice, fund):
    for _ in range(30):
        fund(alice, 100)

    client = client_for(alice)
    first = client.get("/sonar/wallet/").content.decode()
    assert "Page 1 of 2 · 30 in all" in first
    assert first.count(">test deposit<") == 25
    assert client.get("/sonar/wallet/?page=2").content.decode().count(">test deposit<") == 5


def test_in_demo_mode_alice_adds_test_funds(alice, settings):
    settings.SONAR_DEMO_MODE = True
    settings.SONAR_DEMO_CREDIT_MINOR = 12_345
    client = client_for(alice)
    assert "Add test funds (123.45)" in client.get("/sonar/wallet/").content.decode()

    client.post("/sonar/wallet/test-funds/")

    assert balance(alice) == 12_345


def test_outside_demo_mode_test_funds_are_refused_and_nothing_moves(mallory, settings):
    settings.SONAR_DEMO_MODE = False
    client = client_for(mallory)
    page = client.get("/sonar/wallet/").content.decode()
    assert "Add test funds" not in page and "Request a deposit" in page

    response = client.post("/sonar/wallet/test-funds/", follow=True)

    assert "Test funds exist only in demo mode" in response.content.decode()
    assert balance(mallory) == 0


def test_a_deposit_request_moves_money_only_when_an_operator_approves_it(alice, operator, settings):
    settings.SONAR_DEMO_MODE = False
    client = client_for(alice)
    page = client.get("/sonar/wallet/?amount=300.00").content.decode()
    assert 'value="300.00"' in page  # "deposit the difference first" fills the amount

    client.post("/sonar/wallet/", {"amount": "300.00", "note": "wire 42"})

    request = DepositRequest.objects.get(user=alice)
    assert (request.amount_minor, request.status, balance(alice)) == (30_000, "pending", 0)

    admin = client_for(operator)
    response = admin.post(
        "/admin/ledger/depositrequest/",
        {"action": "approve", "_selected_action": [request.pk]},
        follow=True,
    )
    assert "Approved 1 deposit request." in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.approved_by, balance(alice)) == ("approved", operator, 30_000)

    # Approving again deposits nothing more.
    ledger.deposit_request_approve(request=request, approved_by=operator)
    assert balance(alice) == 30_000
    page = client.get("/sonar/wallet/").content.decode()
    assert f'href="/ledger/entries/{request.transfer.entry_id}/"' in page


def test_mallory_cannot_approve_her_own_deposit_request(mallory):
    request = ledger.deposit_request_create(user=mallory, amount_minor=1_000_000)

    with pytest.raises(LedgerUsageError):
        ledger.deposit_request_approve(request=request, approved_by=mallory)
    response = client_for(mallory).post(
        "/admin/ledger/depositrequest/", {"action": "approve", "_selected_action": [request.pk]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    request.refresh_from_db()
    assert (request.status, balance(mallory)) == ("pending", 0)


def test_a_deposit_request_for_nothing_is_refused_beside_the_amount(alice, settings):
    settings.SONAR_DEMO_MODE = False
    response = client_for(alice).post("/sonar/wallet/", {"amount": "0.00"})

    assert 'id="id_amount_error"' in response.content.decode()
    assert not DepositRequest.objects.exists()


def test_operators_cannot_add_change_or_delete_deposit_requests_in_the_admin(alice, operator):
    request = ledger.deposit_request_create(user=alice, amount_minor=500)
    admin = client_for(operator)

    assert admin.get("/admin/ledger/depositrequest/").status_code == 200
    assert admin.get(f"/admin/ledger/depositrequest/{request.pk}/change/").status_code == 200
    assert admin.get("/admin/ledger/depositrequest/add/").status_code == 403
    assert admin.post(f"/admin/ledger/depositrequest/{request.pk}/delete/").status_code == 403
    assert DepositRequest.objects.filter(pk=request.pk, amount_minor=500).exists()
