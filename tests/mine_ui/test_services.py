"""Mines, dataset imports, privacy budgets and contributions through their services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from adapters import AdapterError, Schema
from mine_ui.models import Contribution, Dataset, DatasetRow, Mine, PrivacyBudget
from mine_ui.selectors import dataset_table
from mine_ui.services import (
    BudgetExhaustedError,
    budget_set,
    budget_spend,
    contribution_mark,
    contribution_start,
    dataset_import,
    mine_create,
    policy_update,
)
from tests.mine_ui.conftest import CSV, INPUT_SCHEMA, OUTPUT_SCHEMA, open_campaign

# --- mines ----------------------------------------------------------------------------------


def test_a_new_mine_gets_a_default_policy_and_budget(bob):
    mine = mine_create(owner=bob, name=" clinic ", payout_account="acct_bob_1")
    assert mine.name == "clinic"
    assert mine.policy.max_contributions_per_campaign == 10
    assert mine.privacy_budget.epsilon_total == Decimal("10")
    assert mine.sonar_url == ""


def test_a_person_cannot_have_two_mines_of_one_name_but_two_people_can(bob, carol, make_mine):
    make_mine(bob, "clinic")
    with pytest.raises(ValidationError, match="You already have a mine named 'clinic'"):
        make_mine(bob, "clinic")
    assert make_mine(carol, "clinic").owner == carol
    assert Mine.objects.filter(name="clinic").count() == 2


def test_the_database_refuses_a_second_mine_of_the_same_name(bob, make_mine):
    make_mine(bob, "clinic")
    with pytest.raises(IntegrityError), transaction.atomic():
        Mine.objects.create(owner=bob, name="clinic", payout_account="acct_x")


@pytest.mark.parametrize("account", ["", "acct with spaces", "x" * 65])
def test_a_payout_account_must_look_like_a_wallet_id(bob, account):
    with pytest.raises(ValidationError, match="A payout account is the public id of a wallet"):
        mine_create(owner=bob, name="clinic", payout_account=account)
    assert not Mine.objects.exists()


def test_a_remote_sonar_address_must_be_a_url(bob):
    with pytest.raises(ValidationError, match="'ftp://x' is not a Sonar address"):
        mine_create(owner=bob, name="c", payout_account="acct_1", sonar_url="ftp://x")
    mine = mine_create(
        owner=bob,
        name="c",
        payout_account="acct_1",
        sonar_url="https://sonar.example.org/",
        api_token="tok_secret_9876",
    )
    assert mine.sonar_url == "https://sonar.example.org"
    assert mine.api_token_hint == "…9876"


# --- dataset imports ------------------------------------------------------------------------


def test_an_import_stores_every_row_with_schemas_and_fingerprints(bob_dataset):
    dataset = Dataset.objects.get(pk=bob_dataset.pk)
    assert dataset.row_count == 3
    assert dataset.schema_fingerprint == Schema.from_json(INPUT_SCHEMA).fingerprint()
    assert dataset.output_fingerprint == Schema.from_json(OUTPUT_SCHEMA).fingerprint()
    assert list(dataset.rows.order_by("index").values_list("values", flat=True))[1] == {
        "age": 45,
        "bmi": 30.1,
        "region": "south",
        "diabetic": True,
    }


def test_stored_rows_read_back_as_the_same_features_and_targets(bob_dataset):
    from adapters import read_table

    table = dataset_table(dataset=bob_dataset)
    original = read_table(
        CSV,
        adapter="csv",
        schema=Schema.from_json(INPUT_SCHEMA),
        output=Schema.from_json(OUTPUT_SCHEMA),
    )
    assert table.features().tolist() == original.features().tolist()
    assert table.target().tolist() == [0, 1, 1]


def test_a_bad_row_imports_nothing_and_says_where(bob_mine):
    bad = CSV + b"60,heavy,north,true\n"
    with pytest.raises(ValidationError) as caught:
        dataset_import(
            mine=bob_mine,
            name="patients",
            source=bad,
            adapter="csv",
            schema=INPUT_SCHEMA,
            output=OUTPUT_SCHEMA,
        )
    assert caught.value.messages == [
        "Nothing was imported: Line 5, field 'bmi': expected a number, got 'heavy'."
    ]
    assert isinstance(caught.value.__cause__, AdapterError)
    assert caught.value.__cause__.line == 5
    assert not Dataset.objects.exists()
    assert not DatasetRow.objects.exists()


def test_a_failure_while_storing_rows_leaves_no_partial_dataset(bob_mine, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DatasetRow.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        dataset_import(
            mine=bob_mine,
            name="patients",
            source=CSV,
            adapter="csv",
            schema=INPUT_SCHEMA,
            output=OUTPUT_SCHEMA,
        )
    assert not Dataset.objects.exists()


def test_a_dataset_name_is_unique_within_a_mine(bob_mine, bob_dataset):
    with pytest.raises(ValidationError, match="already has a dataset named 'patients'"):
        dataset_import(
            mine=bob_mine,
            name="patients",
            source=CSV,
            adapter="csv",
            schema=INPUT_SCHEMA,
            output=OUTPUT_SCHEMA,
        )
    assert Dataset.objects.count() == 1


def test_an_invalid_schema_is_refused_before_reading(bob_mine):
    with pytest.raises(
        ValidationError, match=r"The input schema is invalid: Field 1 \('age'\) has"
    ):
        dataset_import(
            mine=bob_mine,
            name="p",
            source=CSV,
            adapter="csv",
            schema=[{"name": "age", "type": "number"}],
        )


def test_the_database_refuses_an_output_fingerprint_without_an_output_schema(bob_mine):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dataset.objects.create(
            mine=bob_mine,
            name="x",
            input_schema=INPUT_SCHEMA,
            output_schema=None,
            adapter="csv",
            row_count=0,
            schema_fingerprint="a" * 64,
            output_fingerprint="b" * 64,
        )


# --- privacy budget -------------------------------------------------------------------------


def test_spending_the_budget_adds_up_exactly(bob_mine):
    budget_set(mine=bob_mine, epsilon_total="1", delta_total="0.00001")
    for _ in range(10):
        budget_spend(mine=bob_mine, epsilon=0.1, delta="0.000001")
    budget = PrivacyBudget.objects.get(mine=bob_mine)
    assert budget.epsilon_spent == Decimal("1")
    assert budget.delta_spent == Decimal("0.00001")


def test_an_overdraft_of_the_budget_is_refused_and_nothing_is_spent(bob_mine):
    budget_set(mine=bob_mine, epsilon_total="1")
    budget_spend(mine=bob_mine, epsilon="0.75", delta=0)
    with pytest.raises(BudgetExhaustedError) as caught:
        budget_spend(mine=bob_mine, epsilon="0.5", delta=0)
    assert str(caught.value) == (
        "Mine 'bob's clinic' has ε 0.25 left of 1; this contribution needs ε 0.5. Raise the "
        "budget or stop contributing."
    )
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_spent == Decimal("0.75")


def test_a_delta_overdraft_is_refused(bob_mine):
    with pytest.raises(BudgetExhaustedError, match=r"has δ 0\.00001 left of 0\.00001"):
        budget_spend(mine=bob_mine, epsilon=0, delta="0.1")


def test_a_negative_spend_is_refused(bob_mine):
    with pytest.raises(ValidationError, match="Epsilon must be zero or more"):
        budget_spend(mine=bob_mine, epsilon=-1, delta=0)


def test_the_database_refuses_spent_above_total(bob_mine):
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivacyBudget.objects.filter(mine=bob_mine).update(epsilon_spent=Decimal("11"))
    assert PrivacyBudget.objects.get(mine=bob_mine).epsilon_spent == 0


def test_a_budget_total_cannot_drop_below_what_was_spent(bob_mine):
    budget_spend(mine=bob_mine, epsilon=3, delta=0)
    with pytest.raises(ValidationError, match=r"Epsilon total 2 is below the 3 already spent\."):
        budget_set(mine=bob_mine, epsilon_total=2)


# --- policy ---------------------------------------------------------------------------------


def test_policy_lists_are_cleaned_and_validated(bob_mine):
    policy = policy_update(
        mine=bob_mine, allowed_campaign_ids=["7", 3, "7"], denied_schema_fingerprints=["AB" * 32]
    )
    assert policy.allowed_campaign_ids == [3, 7]
    assert policy.denied_schema_fingerprints == ["ab" * 32]
    with pytest.raises(ValidationError, match="lists 'seven', which is not a campaign id"):
        policy_update(mine=bob_mine, denied_campaign_ids=["seven"])
    with pytest.raises(ValidationError, match="which is not a schema fingerprint"):
        policy_update(mine=bob_mine, allowed_schema_fingerprints=["abc"])
    with pytest.raises(ValidationError, match="Allow at least 1 contribution per campaign"):
        policy_update(mine=bob_mine, max_contributions_per_campaign=0)


# --- contributions --------------------------------------------------------------------------


def test_only_an_accepted_contribution_may_carry_earnings(bob_mine, bob_dataset):
    contribution = contribution_start(
        mine=bob_mine, dataset=bob_dataset, campaign=open_campaign(), n_samples=3
    )
    assert contribution.status == "pending"
    assert len(contribution.idempotency_key) <= 64
    with pytest.raises(IntegrityError), transaction.atomic():
        contribution_mark(contribution=contribution, status="rejected", earnings_minor=500)
    accepted = contribution_mark(
        contribution=Contribution.objects.get(pk=contribution.pk),
        status="accepted",
        submission_id=41,
        earnings_minor=2500,
    )
    assert (accepted.status, accepted.earnings_minor, accepted.submission_id) == (
        "accepted",
        2500,
        41,
    )


def test_idempotency_keys_are_unique(bob_mine, bob_dataset):
    first = contribution_start(
        mine=bob_mine, dataset=bob_dataset, campaign=open_campaign(), n_samples=3
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            mine=bob_mine, campaign_id=7, idempotency_key=first.idempotency_key
        )
