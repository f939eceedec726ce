"""Which campaigns a mine joins, and the reason it records when it does not."""

from __future__ import annotations

from adapters import Schema
from mine_ui.models import Contribution
from mine_ui.policy import money, policy_decide
from mine_ui.services import (
    budget_set,
    contribution_mark,
    contribution_start,
    mine_campaign_consider,
    policy_update,
)
from tests.mine_ui.conftest import INPUT_SCHEMA, open_campaign


def skipped_reasons(mine) -> list[str]:
    return list(
        Contribution.objects.filter(mine=mine, status=Contribution.SKIPPED).values_list(
            "reason", flat=True
        )
    )


def test_a_matching_campaign_is_joined_with_the_matching_dataset(bob_mine, bob_dataset):
    decision = mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert decision.participate
    assert decision.dataset == bob_dataset
    assert decision.reason == "Campaign 7 ('diabetes') matches dataset 'patients' (3 rows)."
    assert skipped_reasons(bob_mine) == []


def test_a_bounty_below_the_minimum_is_skipped_and_the_reason_recorded(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, min_bounty_minor=10_000)
    decision = mine_campaign_consider(mine=bob_mine, campaign=open_campaign(bounty_minor=5_000))
    assert not decision.participate
    assert decision.reason == "Bounty 50.00 is below this mine's minimum of 100.00."
    skip = Contribution.objects.get(mine=bob_mine)
    assert (skip.status, skip.reason, skip.campaign_id, skip.model_version) == (
        "skipped",
        decision.reason,
        7,
        3,
    )


def test_a_denied_schema_is_skipped(bob_mine, bob_dataset):
    fingerprint = Schema.from_json(INPUT_SCHEMA).fingerprint()
    policy_update(mine=bob_mine, denied_schema_fingerprints=[fingerprint])
    decision = mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert not decision.participate
    assert decision.reason == (
        f"Campaign 7 ('diabetes') uses input schema {fingerprint[:12]}…, which this mine's "
        "policy denies."
    )
    assert skipped_reasons(bob_mine) == [decision.reason]


def test_a_schema_outside_a_non_empty_allow_list_is_skipped(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, allowed_schema_fingerprints=["ab" * 32])
    decision = policy_decide(mine=bob_mine, campaign=open_campaign())
    assert not decision.participate
    assert "which is not on this mine's allow list of schemas" in decision.reason


def test_a_denied_campaign_is_skipped_even_when_allowed(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, allowed_campaign_ids=[7], denied_campaign_ids=[7])
    decision = policy_decide(mine=bob_mine, campaign=open_campaign())
    assert decision.reason == "Campaign 7 ('diabetes') is on this mine's deny list."


def test_a_campaign_outside_the_allow_list_is_skipped(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, allowed_campaign_ids=[8, 9])
    decision = policy_decide(mine=bob_mine, campaign=open_campaign())
    assert (
        decision.reason == "Campaign 7 ('diabetes') is not on this mine's allow list of campaigns."
    )


def test_a_paused_mine_joins_nothing(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, paused=True)
    decision = mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert not decision.participate
    assert decision.reason == (
        "Mine 'bob's clinic' is paused; resume it in the policy to join campaigns."
    )
    assert skipped_reasons(bob_mine) == [decision.reason]


def test_without_a_dataset_of_the_campaigns_schema_the_campaign_is_skipped(bob_mine, bob_dataset):
    other_output = [{"name": "diabetic", "type": "category", "categories": ["no", "yes"]}]
    decision = mine_campaign_consider(
        mine=bob_mine, campaign=open_campaign(output_schema=other_output)
    )
    assert not decision.participate
    assert decision.reason.startswith(
        "No dataset in this mine matches the input and output schema of Campaign 7 ('diabetes')"
    )
    assert decision.dataset is None


def test_an_unlabeled_dataset_does_not_match(bob_mine):
    from mine_ui.services import dataset_import

    dataset_import(
        mine=bob_mine,
        name="unlabeled",
        source=b"age,bmi,region\n1,2,north\n",
        adapter="csv",
        schema=INPUT_SCHEMA,
    )
    decision = policy_decide(mine=bob_mine, campaign=open_campaign())
    assert decision.reason.startswith("No dataset in this mine matches")


def test_after_the_maximum_contributions_a_campaign_is_skipped(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, max_contributions_per_campaign=2)
    campaign = open_campaign()
    for status in ("accepted", "rejected"):
        contribution = contribution_start(
            mine=bob_mine, dataset=bob_dataset, campaign=campaign, n_samples=3
        )
        contribution_mark(contribution=contribution, status=status)
    # Failures and skips do not count against the maximum.
    failed = contribution_start(mine=bob_mine, dataset=bob_dataset, campaign=campaign, n_samples=3)
    contribution_mark(contribution=failed, status="failed", reason="Sonar was down.")
    decision = mine_campaign_consider(mine=bob_mine, campaign=campaign)
    assert not decision.participate
    assert decision.reason == (
        "This mine has contributed 2 times to Campaign 7 ('diabetes'), its maximum per campaign."
    )
    assert skipped_reasons(bob_mine) == [decision.reason]
    assert policy_decide(mine=bob_mine, campaign=open_campaign(id=8)).participate


def test_an_exhausted_privacy_budget_stops_participation(bob_mine, bob_dataset):
    budget_set(mine=bob_mine, epsilon_total="0.5", epsilon_per_contribution="1")
    decision = mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert not decision.participate
    assert decision.reason == (
        "The privacy budget is exhausted: ε 0.5 of 0.5 left, and a contribution needs ε 1 "
        "(δ 0.000001)."
    )
    assert skipped_reasons(bob_mine) == [decision.reason]


def test_with_automatic_participation_off_the_mine_says_what_it_would_join(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, auto_participate=False)
    decision = policy_decide(mine=bob_mine, campaign=open_campaign())
    assert not decision.participate
    assert decision.dataset == bob_dataset
    assert decision.reason == (
        "Automatic participation is off; Campaign 7 ('diabetes') would train on dataset "
        "'patients'. Turn it on in the policy to join."
    )


def test_a_new_mine_does_not_participate_until_its_owner_turns_it_on(bob, make_mine):
    mine = make_mine(bob)
    assert mine.policy.auto_participate is False


def test_a_campaign_that_is_not_open_is_skipped(bob_mine, bob_dataset):
    decision = policy_decide(mine=bob_mine, campaign=open_campaign(status="completed"))
    assert decision.reason == "Campaign 7 ('diabetes') is completed, not open."


def test_malformed_campaign_data_from_sonar_is_skipped_with_a_reason(bob_mine, bob_dataset):
    bad_schema = policy_decide(mine=bob_mine, campaign=open_campaign(input_schema="nonsense"))
    assert bad_schema.reason.startswith(
        "Campaign 7 ('diabetes') has an input schema this mine cannot read:"
    )
    text_output = [{"name": "y", "type": "text"}]
    bad_output = policy_decide(mine=bob_mine, campaign=open_campaign(output_schema=text_output))
    assert "has an output schema this mine cannot read" in bad_output.reason
    no_bounty = policy_decide(mine=bob_mine, campaign=open_campaign(bounty_minor="lots"))
    assert no_bounty.reason == "Campaign 7 ('diabetes') does not state its bounty; it was skipped."
    no_id = policy_decide(mine=bob_mine, campaign=open_campaign(id=None))
    assert not no_id.participate


def test_polling_again_updates_one_skip_row_per_model_version(bob_mine, bob_dataset):
    policy_update(mine=bob_mine, paused=True)
    for _ in range(3):
        mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert Contribution.objects.filter(mine=bob_mine).count() == 1
    policy_update(mine=bob_mine, paused=False, min_bounty_minor=200_000)
    mine_campaign_consider(mine=bob_mine, campaign=open_campaign())
    assert skipped_reasons(bob_mine) == [
        "Bounty 1,000.00 is below this mine's minimum of 2,000.00."
    ]
    mine_campaign_consider(mine=bob_mine, campaign=open_campaign(current_version=4))
    assert Contribution.objects.filter(mine=bob_mine).count() == 2


def test_money_is_shown_with_two_decimals_from_minor_units():
    assert money(5_000) == "50.00"
    assert money(123_456_789) == "1,234,567.89"
    assert money(7) == "0.07"
