"""/api/mines/: a person's hosted mines, datasets (metadata only), policy, budget, contributions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mine_ui.models import Contribution, Mine, MinePolicy, PrivacyBudget

PAGE_KEYS = {"count", "next", "previous", "results"}


@pytest.fixture
def bob_contributions(bob_mine, bob_dataset) -> list[Contribution]:
    return [
        Contribution.objects.create(
            mine=bob_mine, dataset=bob_dataset, campaign_id=7, campaign_name="diabetes",
            status="accepted", earnings_minor=2500, idempotency_key="c1", n_samples=3,
        ),
        Contribution.objects.create(
            mine=bob_mine, campaign_id=8, campaign_name="wine", status="skipped",
            reason="Mine policy denies campaign 8.", idempotency_key="c2",
        ),
    ]  # fmt: skip


def test_bob_lists_his_mines_and_reads_one_with_its_earnings(
    api_as, bob, bob_mine, bob_contributions
):
    client = api_as(bob)
    listed = client.get("/api/mines/").json()
    assert set(listed) == PAGE_KEYS
    assert [m["name"] for m in listed["results"]] == ["bob's clinic"]
    detail = client.get(f"/api/mines/{bob_mine.id}/").json()
    assert detail["earnings_minor"] == 2500
    assert detail["datasets"] == 1
    assert detail["contributions"] == 1  # the skip is not a contribution
    assert detail["payout_account"] == "acct_bob"


def test_bob_creates_a_mine_over_the_api(api_as, bob):
    response = api_as(bob).post(
        "/api/mines/", {"name": "garage", "payout_account": "acct_bob"}, format="json"
    )
    assert response.status_code == 201
    mine = Mine.objects.get(owner=bob, name="garage")
    assert MinePolicy.objects.filter(mine=mine).exists()
    assert PrivacyBudget.objects.filter(mine=mine).exists()


def test_a_duplicate_mine_name_is_refused_with_a_sentence(api_as, bob, bob_mine):
    response = api_as(bob).post(
        "/api/mines/", {"name": "bob's clinic", "payout_account": "acct_bob"}, format="json"
    )
    assert response.status_code == 400
    assert "already have a mine named" in response.json()["detail"]
    assert Mine.objects.filter(owner=bob).count() == 1


def test_mallory_without_the_miner_role_cannot_create_a_mine(api_as, mallory):
    response = api_as(mallory).post(
        "/api/mines/", {"name": "x", "payout_account": "acct_x"}, format="json"
    )
    assert response.status_code == 403
    assert "/api/me/roles/" in response.json()["detail"]
    assert not Mine.objects.filter(owner=mallory).exists()


def test_the_datasets_list_shows_metadata_and_never_rows(api_as, bob, bob_mine, bob_dataset):
    body = api_as(bob).get(f"/api/mines/{bob_mine.id}/datasets/").json()
    assert set(body) == PAGE_KEYS
    (dataset,) = body["results"]
    assert dataset["name"] == "patients"
    assert dataset["row_count"] == bob_dataset.row_count
    assert "rows" not in dataset and "values" not in dataset
    assert all(not isinstance(v, list) or k.endswith("schema") for k, v in dataset.items())


def test_bob_reads_and_changes_his_policy(api_as, bob, bob_mine):
    client = api_as(bob)
    assert client.get(f"/api/mines/{bob_mine.id}/policy/").json()["auto_participate"] is True
    response = client.patch(
        f"/api/mines/{bob_mine.id}/policy/",
        {"paused": True, "denied_campaign_ids": [3, 3, 9]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["paused"] is True
    assert response.json()["denied_campaign_ids"] == [3, 9]
    policy = MinePolicy.objects.get(mine=bob_mine)
    assert policy.paused and policy.auto_participate


def test_a_bad_policy_value_is_refused_and_nothing_changes(api_as, bob, bob_mine):
    response = api_as(bob).patch(
        f"/api/mines/{bob_mine.id}/policy/",
        {"paused": True, "allowed_schema_fingerprints": ["not-a-hash"]},
        format="json",
    )
    assert response.status_code == 400
    assert "fingerprint" in response.json()["detail"]
    assert MinePolicy.objects.get(mine=bob_mine).paused is False


def test_bob_reads_and_sets_his_privacy_budget(api_as, bob, bob_mine):
    client = api_as(bob)
    budget = client.get(f"/api/mines/{bob_mine.id}/budget/").json()
    assert Decimal(budget["epsilon_total"]) == Decimal("10")
    assert Decimal(budget["epsilon_left"]) == Decimal("10")
    response = client.patch(
        f"/api/mines/{bob_mine.id}/budget/",
        {"epsilon_total": "4", "epsilon_per_contribution": "0.5"},
        format="json",
    )
    assert response.status_code == 200
    stored = PrivacyBudget.objects.get(mine=bob_mine)
    assert stored.epsilon_total == Decimal("4")
    assert stored.epsilon_per_contribution == Decimal("0.5")


def test_a_budget_below_what_was_spent_is_refused(api_as, bob, bob_mine):
    PrivacyBudget.objects.filter(mine=bob_mine).update(epsilon_spent=Decimal("3"))
    response = api_as(bob).patch(
        f"/api/mines/{bob_mine.id}/budget/", {"epsilon_total": "2"}, format="json"
    )
    assert response.status_code == 400
    assert "already spent" in response.json()["detail"]
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_total == Decimal("10")


def test_bob_lists_contributions_filtered_by_status(api_as, bob, bob_mine, bob_contributions):
    client = api_as(bob)
    everything = client.get(f"/api/mines/{bob_mine.id}/contributions/").json()
    assert everything["count"] == 2
    skipped = client.get(f"/api/mines/{bob_mine.id}/contributions/?status=skipped").json()
    assert [c["reason"] for c in skipped["results"]] == ["Mine policy denies campaign 8."]
    bad = client.get(f"/api/mines/{bob_mine.id}/contributions/?status=nonsense")
    assert bad.status_code == 400


@pytest.mark.parametrize("suffix", ["", "datasets/", "policy/", "budget/", "contributions/"])
def test_mallory_gets_404_for_every_part_of_bobs_mine(api_as, mallory, bob_mine, suffix):
    response = api_as(mallory).get(f"/api/mines/{bob_mine.id}/{suffix}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("suffix", ["policy/", "budget/"])
def test_mallory_cannot_change_bobs_policy_or_budget(api_as, mallory, bob_mine, suffix):
    body = {"paused": True} if suffix == "policy/" else {"epsilon_total": "1000"}
    response = api_as(mallory).patch(f"/api/mines/{bob_mine.id}/{suffix}", body, format="json")
    assert response.status_code == 404
    assert MinePolicy.objects.get(mine=bob_mine).paused is False
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_total == Decimal("10")


def test_alice_sees_no_mines_of_others(api_as, alice, bob_mine):
    assert api_as(alice).get("/api/mines/").json()["count"] == 0


def test_anonymous_callers_get_401(api, bob_mine):
    assert api.get("/api/mines/").status_code == 401
    assert api.get(f"/api/mines/{bob_mine.id}/").status_code == 401


def test_the_mine_list_costs_a_fixed_number_of_queries(
    api_as, bob, make_mine, django_assert_max_num_queries
):
    for i in range(5):
        make_mine(bob, f"mine {i}")
    client = api_as(bob)
    with django_assert_max_num_queries(6):
        assert client.get("/api/mines/").json()["count"] == 5
