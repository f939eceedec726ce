"""The Mine pages: each person sees and changes only their own mines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from mine_ui.models import Contribution, Mine, MinePolicy, PrivacyBudget
from mine_ui.services import contribution_mark, contribution_skip, contribution_start
from tests.conftest import PASSWORD
from tests.mine_ui.conftest import open_campaign


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_the_mine_page_needs_a_login(client, db):
    response = client.get(reverse("mine_ui:index"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_bob_sees_his_mines_listed_with_money_apart(client, bob, bob_dataset, sonar):
    login(client, bob)
    page = client.get(reverse("mine_ui:index")).content.decode()
    assert "bob&#x27;s clinic" in page
    assert reverse("mine_ui:detail", args=[bob_dataset.mine.pk]) in page
    assert "Paid out" in page and "Promised" in page
    # The new-mine form is prefilled with his wallet.
    assert 'value="acct_bobs_wallet"' in page


def test_bob_sees_his_mine_datasets_policy_budget_and_contributions(
    client, bob, bob_dataset, sonar
):
    contribution_skip(mine=bob_dataset.mine, campaign=open_campaign(), reason="Testing a skip.")
    login(client, bob)
    page = client.get(reverse("mine_ui:detail", args=[bob_dataset.mine.pk])).content.decode()
    assert "acct_bob" in page
    assert reverse("mine_ui:dataset", args=[bob_dataset.pk]) in page
    assert "region: category (2)" in page
    assert "participating automatically" in page
    assert "ε spent: <strong>0</strong> of 10 (0%)" in page
    assert 'aria-label="Privacy budget spent: 0%"' in page
    assert "Testing a skip." in page
    assert "No earnings yet." in page


def _accepted(mine, dataset, earned: int, *, settled: bool) -> Contribution:
    contribution = contribution_start(
        mine=mine, dataset=dataset, campaign=open_campaign(), n_samples=3
    )
    contribution = contribution_mark(
        contribution=contribution, status="accepted", earnings_minor=earned
    )
    if settled:
        from django.utils import timezone

        Contribution.objects.filter(pk=contribution.pk).update(settled_at=timezone.now())
    return contribution


def test_earned_shows_settled_and_unsettled_apart_with_a_chart(client, bob, bob_dataset, sonar):
    mine = bob_dataset.mine
    _accepted(mine, bob_dataset, 1234, settled=True)
    _accepted(mine, bob_dataset, 500, settled=False)
    login(client, bob)
    page = client.get(reverse("mine_ui:detail", args=[mine.pk])).content.decode()
    assert '<strong id="earned-settled">12.34 USD</strong>' in page
    assert '<strong id="earned-unsettled">5.00 USD</strong>' in page
    assert "<svg" in page and "settled (paid)" in page
    svg = page.split("<svg", 1)[1].split("</svg>")[0]
    assert 'src="' not in svg and 'href="http' not in svg  # nothing fetched from elsewhere
    assert "<title>12.34 USD</title>" in svg  # the value shows on hover, without script


def test_contributions_are_paginated(client, bob, bob_dataset, sonar):
    for version in range(25):
        contribution_skip(
            mine=bob_dataset.mine,
            campaign=open_campaign(current_version=version),
            reason=f"skip number {version}",
        )
    login(client, bob)
    url = reverse("mine_ui:detail", args=[bob_dataset.mine.pk])
    first = client.get(url).content.decode()
    assert "Page 1 of 2 (25 contributions)" in first
    assert "skip number 24" in first and "skip number 0<" not in first
    second = client.get(url + "?page=2").content.decode()
    assert "skip number 0<" in second


def test_mallory_sees_none_of_bobs_mines_or_datasets(client, mallory, bob_dataset, sonar):
    login(client, mallory)
    page = client.get(reverse("mine_ui:index")).content.decode()
    assert "You have no mines yet." in page
    assert "clinic" not in page
    assert "patients" not in page
    assert "acct_bob" not in page


@pytest.mark.parametrize("name", ["detail", "campaigns", "policy", "import", "import-review"])
def test_mallory_cannot_open_any_page_of_bobs_mine(client, mallory, bob_mine, sonar, name):
    login(client, mallory)
    assert client.get(reverse(f"mine_ui:{name}", args=[bob_mine.pk])).status_code == 404


@pytest.mark.parametrize("name", ["pause", "run", "budget", "policy", "import"])
def test_mallory_cannot_change_bobs_mine_and_nothing_changes(
    client, mallory, bob_mine, sonar, name, django_capture_on_commit_callbacks
):
    login(client, mallory)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse(f"mine_ui:{name}", args=[bob_mine.pk]),
            {"epsilon_total": "1", "epsilon_per_contribution": "1", "delta_total": "0",
             "delta_per_contribution": "0", "paused": "on", "min_bounty": "0",
             "max_contributions_per_campaign": "1"},
        )  # fmt: skip
    assert response.status_code == 404
    assert callbacks == []
    policy = MinePolicy.objects.get(mine=bob_mine)
    assert (policy.paused, policy.max_contributions_per_campaign) == (False, 10)
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_total == Decimal(10)


def test_mallory_cannot_open_bobs_dataset(client, mallory, bob_dataset):
    login(client, mallory)
    assert client.get(reverse("mine_ui:dataset", args=[bob_dataset.pk])).status_code == 404


def test_bob_sees_the_first_rows_of_his_dataset(client, bob, bob_dataset):
    login(client, bob)
    page = client.get(reverse("mine_ui:dataset", args=[bob_dataset.pk])).content.decode()
    assert "30.1" in page
    assert bob_dataset.schema_fingerprint in page


def test_bob_pauses_and_resumes_his_mine(client, bob, bob_mine):
    login(client, bob)
    url = reverse("mine_ui:pause", args=[bob_mine.pk])
    assert client.post(url).status_code == 302
    assert MinePolicy.objects.get(mine=bob_mine).paused is True
    assert client.post(url, {"resume": "1"}).status_code == 302
    assert MinePolicy.objects.get(mine=bob_mine).paused is False


def test_run_now_enqueues_one_mining_pass_of_that_mine(
    client, bob, bob_mine, monkeypatch, django_capture_on_commit_callbacks
):
    from mine_ui import tasks

    enqueued = []
    monkeypatch.setattr(tasks.mine_train_task, "delay", lambda mine_id: enqueued.append(mine_id))
    login(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mine_ui:run", args=[bob_mine.pk]), follow=True)
    assert enqueued == [bob_mine.pk]
    assert "A mining pass of &#x27;bob&#x27;s clinic&#x27; was started" in response.content.decode()


def test_bob_changes_his_privacy_budget_within_limits(client, bob, bob_mine, sonar):
    login(client, bob)
    url = reverse("mine_ui:budget", args=[bob_mine.pk])
    fields = {"delta_total": "0.00001", "delta_per_contribution": "0.000001"}
    response = client.post(
        url, {**fields, "epsilon_total": "20", "epsilon_per_contribution": "0.5"}
    )
    assert response.status_code == 302
    budget = PrivacyBudget.objects.get(mine=bob_mine)
    assert (budget.epsilon_total, budget.epsilon_per_contribution) == (Decimal(20), Decimal("0.5"))

    response = client.post(
        url, {**fields, "epsilon_total": "500", "epsilon_per_contribution": "0.5"}
    )
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_total == Decimal(20)


def test_open_campaigns_show_each_verdict_and_its_reason(client, bob, bob_dataset, sonar):
    sonar.campaigns.append(open_campaign(id=11, name="text", input_schema=[
        {"name": "post", "type": "text"}]))  # fmt: skip
    login(client, bob)
    page = client.get(reverse("mine_ui:campaigns", args=[bob_dataset.mine.pk])).content.decode()
    assert "#7 · diabetes" in page
    assert '<span class="verdict-joins">will join</span>' in page
    assert "matches dataset &#x27;patients&#x27; (3 rows)" in page
    assert "won't join</span> (schema)" in page
    assert "ε 3 each; up to ε 9 over 3 more" in page


def test_open_campaigns_say_plainly_when_sonar_does_not_answer(client, bob, bob_mine, sonar):
    sonar.down = True
    login(client, bob)
    page = client.get(reverse("mine_ui:campaigns", args=[bob_mine.pk])).content.decode()
    assert "Could not ask this platform for its open campaigns: Connection refused." in page


def test_bob_picks_campaigns_and_schemas_by_name(client, bob, bob_mine, sonar):
    login(client, bob)
    url = reverse("mine_ui:policy", args=[bob_mine.pk])
    page = client.get(url).content.decode()
    assert "diabetes (#7)" in page and "wine (#9)" in page
    assert "3 fields: age, bmi, region" in page
    from adapters import Schema

    fingerprint = Schema.from_json(open_campaign()["input_schema"]).fingerprint()
    response = client.post(
        url,
        {
            "paused": "on",
            "min_bounty": "12.50",
            "max_contributions_per_campaign": "3",
            "allowed_campaign_ids": ["7", "9"],
            "denied_schema_fingerprints": [fingerprint],
        },
    )
    assert response.status_code == 302
    policy = MinePolicy.objects.get(mine=bob_mine)
    assert (policy.paused, policy.auto_participate, policy.min_bounty_minor) == (True, False, 1250)
    assert policy.allowed_campaign_ids == [7, 9]
    assert policy.denied_schema_fingerprints == [fingerprint]
    assert policy.max_contributions_per_campaign == 3


def test_a_campaign_that_is_not_offered_cannot_be_picked(client, bob, bob_mine, sonar):
    login(client, bob)
    url = reverse("mine_ui:policy", args=[bob_mine.pk])
    response = client.post(
        url,
        {"min_bounty": "1", "max_contributions_per_campaign": "2", "denied_campaign_ids": ["99"]},
    )
    assert response.status_code == 400
    assert "Select a valid choice. 99 is not one of the available choices." in (
        response.content.decode()
    )
    assert MinePolicy.objects.get(mine=bob_mine).max_contributions_per_campaign == 10


def test_a_miner_creates_a_mine_paid_into_his_own_wallet(client, bob, sonar):
    login(client, bob)
    response = client.post(reverse("mine_ui:create"), {"name": "garage", "payout_account": ""})
    mine = Mine.objects.get(owner=bob)
    assert response["Location"] == reverse("mine_ui:detail", args=[mine.pk])
    assert (mine.name, mine.payout_account) == ("garage", "acct_bobs_wallet")
    assert mine.policy.auto_participate is False


def test_a_payout_account_that_is_not_his_wallet_is_refused(client, bob, sonar):
    login(client, bob)
    response = client.post(
        reverse("mine_ui:create"), {"name": "garage", "payout_account": "acct_nobody"}
    )
    assert response.status_code == 400
    assert "Payout account acct_nobody is not your wallet" in response.content.decode()
    assert not Mine.objects.exists()


def test_when_sonar_cannot_check_the_account_no_mine_is_created(client, bob, sonar):
    sonar.down = True
    login(client, bob)
    response = client.post(reverse("mine_ui:create"), {"name": "garage", "payout_account": ""})
    assert response.status_code == 400
    assert "Could not check the payout account with this platform" in response.content.decode()
    assert not Mine.objects.exists()


def test_a_duplicate_mine_name_is_explained_on_the_form(client, bob, bob_mine, sonar):
    login(client, bob)
    response = client.post(
        reverse("mine_ui:create"), {"name": bob_mine.name, "payout_account": "acct_bob"}
    )
    assert response.status_code == 400
    assert "You already have a mine named" in response.content.decode()
    assert Mine.objects.filter(owner=bob).count() == 1


def test_mallory_without_the_miner_role_cannot_create_a_mine(client, mallory, sonar):
    login(client, mallory)
    response = client.post(reverse("mine_ui:create"), {"name": "mine", "payout_account": "acct_m"})
    assert response.status_code == 403
    assert not Mine.objects.exists()


def test_a_remote_sonar_token_is_never_shown_in_full(client, bob, make_mine, sonar):
    mine = make_mine(
        bob, "remote", sonar_url="https://sonar.example.org", api_token="tok_verysecret_1234"
    )
    login(client, bob)
    for url in (reverse("mine_ui:index"), reverse("mine_ui:detail", args=[mine.pk])):
        page = client.get(url).content.decode()
        assert "…1234" in page
        assert "verysecret" not in page
