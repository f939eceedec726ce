"""The Mine pages: each person sees and changes only their own mines."""

from __future__ import annotations

from django.urls import reverse

from mine_ui.models import Mine, MinePolicy
from mine_ui.services import contribution_skip
from tests.conftest import PASSWORD
from tests.mine_ui.conftest import open_campaign


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_the_mine_page_needs_a_login(client, db):
    response = client.get(reverse("mine_ui:index"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_bob_sees_his_mine_datasets_policy_budget_and_contributions(client, bob, bob_dataset):
    contribution_skip(mine=bob_dataset.mine, campaign=open_campaign(), reason="Testing a skip.")
    login(client, bob)
    page = client.get(reverse("mine_ui:index")).content.decode()
    assert "bob&#x27;s clinic" in page
    assert "acct_bob" in page
    assert reverse("mine_ui:dataset", args=[bob_dataset.pk]) in page
    assert "region: category (2)" in page
    assert "participating automatically" in page
    assert "0 of 10" in page  # epsilon spent of total
    assert "Testing a skip." in page


def test_mallory_sees_none_of_bobs_mines_or_datasets(client, mallory, bob_dataset):
    login(client, mallory)
    page = client.get(reverse("mine_ui:index")).content.decode()
    assert "You have no mines yet." in page
    assert "clinic" not in page
    assert "patients" not in page
    assert "acct_bob" not in page


def test_mallory_cannot_open_bobs_dataset(client, mallory, bob_dataset):
    login(client, mallory)
    assert client.get(reverse("mine_ui:dataset", args=[bob_dataset.pk])).status_code == 404


def test_bob_sees_the_first_rows_of_his_dataset(client, bob, bob_dataset):
    login(client, bob)
    page = client.get(reverse("mine_ui:dataset", args=[bob_dataset.pk])).content.decode()
    assert "30.1" in page
    assert bob_dataset.schema_fingerprint in page


def test_mallory_cannot_see_or_change_bobs_policy_and_nothing_changes(client, mallory, bob_mine):
    login(client, mallory)
    url = reverse("mine_ui:policy", args=[bob_mine.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"paused": "on", "min_bounty": "0", "max_contributions_per_campaign": "1"}
    )
    assert response.status_code == 404
    assert MinePolicy.objects.get(mine=bob_mine).paused is False


def test_bob_edits_his_policy(client, bob, bob_mine):
    login(client, bob)
    url = reverse("mine_ui:policy", args=[bob_mine.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "paused": "on",
            "min_bounty": "12.50",
            "max_contributions_per_campaign": "3",
            "allowed_campaign_ids": "7, 9",
            "denied_campaign_ids": "",
            "denied_schema_fingerprints": "",
            "allowed_schema_fingerprints": "",
        },
    )
    assert response.status_code == 302
    policy = MinePolicy.objects.get(mine=bob_mine)
    assert (policy.paused, policy.auto_participate, policy.min_bounty_minor) == (True, False, 1250)
    assert policy.allowed_campaign_ids == [7, 9]
    assert policy.max_contributions_per_campaign == 3


def test_a_bad_policy_shows_the_error_and_changes_nothing(client, bob, bob_mine):
    login(client, bob)
    url = reverse("mine_ui:policy", args=[bob_mine.pk])
    response = client.post(
        url,
        {"min_bounty": "1", "max_contributions_per_campaign": "2", "denied_campaign_ids": "seven"},
    )
    assert response.status_code == 400
    assert "which is not a campaign id" in response.content.decode()
    assert MinePolicy.objects.get(mine=bob_mine).max_contributions_per_campaign == 10


def test_a_miner_creates_a_mine_from_the_page(client, bob):
    login(client, bob)
    response = client.post(
        reverse("mine_ui:create"), {"name": "garage", "payout_account": "acct_bob_9"}
    )
    assert response.status_code == 302
    mine = Mine.objects.get(owner=bob)
    assert (mine.name, mine.payout_account) == ("garage", "acct_bob_9")
    assert mine.policy.auto_participate is False


def test_a_duplicate_mine_name_is_explained_on_the_form(client, bob, bob_mine):
    login(client, bob)
    response = client.post(
        reverse("mine_ui:create"), {"name": bob_mine.name, "payout_account": "acct_bob"}
    )
    assert response.status_code == 400
    assert "You already have a mine named" in response.content.decode()
    assert Mine.objects.filter(owner=bob).count() == 1


def test_mallory_without_the_miner_role_cannot_create_a_mine(client, mallory):
    login(client, mallory)
    response = client.post(reverse("mine_ui:create"), {"name": "mine", "payout_account": "acct_m"})
    assert response.status_code == 403
    assert not Mine.objects.exists()


def test_a_remote_sonar_token_is_never_shown_in_full(client, bob, make_mine):
    make_mine(bob, "remote", sonar_url="https://sonar.example.org", api_token="tok_verysecret_1234")
    login(client, bob)
    page = client.get(reverse("mine_ui:index")).content.decode()
    assert "…1234" in page
    assert "verysecret" not in page
