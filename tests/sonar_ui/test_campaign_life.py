"""A campaign's whole life through the REST API, on a real Celery worker."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from ledger.models import Entry
from ledger.selectors import account_balance
from ledger.services import account_escrow_for_campaign, account_wallet_for_user
from sonar_ui.rules import payout_for


def wait_for(predicate, timeout: float = 90, interval: float = 0.2):
    """Poll until predicate() returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    assert value, "timed out waiting"
    return value


def evaluated(client, gradient_id: int) -> dict | None:
    body = client.get(f"/api/gradients/{gradient_id}/").json()
    return body if body["status"] in ("accepted", "rejected") else None


def run_rounds(api_as, submit, campaign, dataset, miners, rounds: int) -> list[dict]:
    """Each round, every mine submits one gradient and waits for its verdict."""
    results = []
    for _ in range(rounds):
        for miner, (X, y) in zip(miners, dataset.mines, strict=True):
            status = api_as(miner).get(f"/api/campaigns/{campaign['id']}/").json()["status"]
            if status != "open":
                return results
            sent = submit(miner, campaign["id"], X, y)
            assert sent.status_code == 202, sent.json()
            gradient_id = sent.json()["id"]
            client = api_as(miner)
            results.append(wait_for(lambda c=client, g=gradient_id: evaluated(c, g)))
    return results


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.parametrize("dataset_name", ["diabetes", "breast_cancer"])
def test_a_campaign_trains_pays_mines_and_refunds_the_rest(
    request, dataset_name, celery_worker, alice, bob, carol, api_as, launched, submit
):
    dataset = request.getfixturevalue(dataset_name)
    lr = 0.3 if dataset_name == "diabetes" else 0.5
    campaign = launched(
        alice, dataset, bounty_minor=100_000, target_accuracy=0.99,
        hyperparameters={"learning_rate": lr}, deposit_minor=150_000,
    )  # fmt: skip
    start = campaign["start_accuracy"]
    assert campaign["status"] == "open"
    assert campaign["public_key"]["bits"] == 1024

    results = run_rounds(api_as, submit, campaign, dataset, [bob, carol], rounds=3)

    accepted = [r for r in results if r["status"] == "accepted"]
    assert accepted, results
    owner = api_as(alice)
    best = owner.get(f"/api/campaigns/{campaign['id']}/").json()["best_accuracy"]
    assert best > start + 0.05
    # Each accepted gradient earned (increase / target) × bounty, rounded down.
    for r in accepted:
        delta_ppm = round(r["accuracy_delta"] * 1_000_000)
        assert (
            r["payout_minor"]
            == payout_for(
                bounty_minor=100_000, basis_ppm=990_000, delta_ppm=delta_ppm, remaining_minor=10**9
            ).amount_minor
        )
    spent = sum(r["payout_minor"] for r in accepted)
    assert 0 < spent <= 100_000

    closed = owner.post(f"/api/campaigns/{campaign['id']}/close/")
    assert closed.status_code == 200
    settled = wait_for(
        lambda: (c := owner.get(f"/api/campaigns/{campaign['id']}/").json())["settled_at"] and c
    )
    assert settled["spent_minor"] == spent
    # Mines got exactly their accrued payouts; alice got the rest of the bounty back.
    paid = {}
    for r in accepted:
        paid[r["payout_account"]] = paid.get(r["payout_account"], 0) + r["payout_minor"]
    for miner in (bob, carol):
        wallet = account_wallet_for_user(user=miner)
        assert account_balance(account=wallet) == paid.get(wallet.public_id, 0)
    assert account_balance(account=account_wallet_for_user(user=alice)) == 150_000 - spent
    assert account_balance(account=account_escrow_for_campaign(campaign_id=campaign["id"])) == 0

    result = owner.get(f"/api/campaigns/{campaign['id']}/result/")
    assert result.status_code == 200
    assert len(result.content) > 0
    kinds = set(Entry.objects.filter(campaign_id=campaign["id"]).values_list("kind", flat=True))
    assert {"campaign.launched", "bounty.escrowed", "key.published", "model.published",
            "gradient.submitted", "gradient.accepted", "payout.accrued", "payout.settled",
            "bounty.refunded", "campaign.completed"} <= kinds  # fmt: skip
    call_command("ledger_verify")
