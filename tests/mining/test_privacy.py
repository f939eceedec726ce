"""Differential privacy on the mine: on by default, released once, charged per data content."""

from __future__ import annotations

import logging
from decimal import Decimal

import numpy as np
import pytest

from mine_ui.mining import mine_train_once
from mine_ui.models import Contribution, PrivacyBudget, PrivateRelease
from mine_ui.privacy import campaign_scaling, release_obtain
from mine_ui.selectors import dataset_table
from mine_ui.services import BudgetExhaustedError, budget_set, dataset_import, mine_create
from sonar_ui.models import GradientSubmission
from syft.models import LinearRegression, LogisticRegression
from syft.privacy import statistics_to_json

GRADIENTS = r"^/api/campaigns/\d+/gradients/$"


def _import(mine, task, name="patients"):
    return dataset_import(
        mine=mine,
        name=name,
        source=task.mine_csvs[0],
        adapter="csv",
        schema=task.input_schema,
        output=task.output_schema,
    )


@pytest.fixture
def clinic(bob, diabetes_task):
    """Bob's mine with default privacy settings and his slice of the diabetes rows."""
    mine = mine_create(owner=bob, name="clinic", payout_account="acct_bob")
    return mine, _import(mine, diabetes_task)


def _obtain(mine, dataset, model=None, **options):
    table = dataset_table(dataset=dataset)
    return release_obtain(
        mine=mine,
        dataset=dataset,
        trainer=model or LinearRegression(n_features=dataset.schema.width),
        X=table.features(),
        y=table.target(),
        **options,
    )


def test_a_new_mine_releases_noisy_statistics_and_pays_for_them_once(clinic):
    mine, dataset = clinic
    first = _obtain(mine, dataset)
    assert first.private and not first.reused
    assert first.epsilon_spent == Decimal("3")  # the default epsilon per release
    exact = LinearRegression(n_features=dataset.schema.width).sufficient_statistics(
        dataset_table(dataset=dataset).features(), dataset_table(dataset=dataset).target()
    )
    assert not np.allclose(first.statistics.gram, exact.gram)

    again = _obtain(mine, dataset)

    assert again.reused and again.epsilon_spent == 0
    assert statistics_to_json(again.statistics) == statistics_to_json(first.statistics)
    assert PrivateRelease.objects.filter(owner=mine.owner).count() == 1
    assert PrivacyBudget.objects.get(mine=mine).epsilon_spent == Decimal("3")


def test_a_second_mine_over_the_same_rows_gets_the_same_noise_not_a_fresh_budget(
    clinic, diabetes_task
):
    mine, dataset = clinic
    first = _obtain(mine, dataset)
    other = mine_create(owner=mine.owner, name="second", payout_account="acct_bob2")
    copy = _import(other, diabetes_task, name="same rows")

    second = _obtain(other, copy)

    assert second.reused and second.epsilon_spent == 0
    assert statistics_to_json(second.statistics) == statistics_to_json(first.statistics)
    assert PrivacyBudget.objects.get(mine=other).epsilon_spent == 0


def test_the_budget_of_one_content_adds_up_across_the_owners_mines(clinic, diabetes_task):
    mine, dataset = clinic
    budget_set(mine=mine, epsilon_total=2, epsilon_per_contribution=1)
    _obtain(mine, dataset)
    _obtain(mine, dataset, model=LinearRegression(n_features=10, fit_intercept=False))
    other = mine_create(owner=mine.owner, name="second", payout_account="acct_bob2")
    budget_set(mine=other, epsilon_total=2, epsilon_per_contribution=1)
    copy = _import(other, diabetes_task, name="same rows")
    before = PrivateRelease.objects.count()

    # A third spec on the same rows: the rows have spent 2 of 2 through the first mine.
    with pytest.raises(BudgetExhaustedError, match="already spent"):
        _obtain(other, copy, feature_scaling={"lower": [-9] * 10, "upper": [9] * 10})

    assert PrivateRelease.objects.count() == before
    assert PrivacyBudget.objects.get(mine=other).epsilon_spent == 0
    assert _obtain(other, copy).reused  # what was released stays usable


def test_mallory_gets_no_release_of_bobs_rows(clinic, mallory, diabetes_task):
    mine, dataset = clinic
    _obtain(mine, dataset)
    hers = mine_create(owner=mallory, name="copy", payout_account="acct_mallory")
    released = _obtain(hers, _import(hers, diabetes_task))
    assert not released.reused  # releases are per owner: nothing of bob's is handed out
    assert PrivateRelease.objects.filter(owner=mallory).count() == 1


def test_opting_out_is_explicit_and_logged(clinic, caplog):
    mine, dataset = clinic
    budget_set(mine=mine, epsilon_per_contribution=0, delta_per_contribution=0)
    with caplog.at_level(logging.WARNING, logger="mine_ui.privacy"):
        release = _obtain(mine, dataset)
    assert not release.private
    assert "EXACT gradient" in caplog.text and "turned differential privacy off" in caplog.text
    assert not PrivateRelease.objects.exists()


def test_a_published_scaling_is_used_and_a_wrong_width_falls_back(clinic):
    published = campaign_scaling({"lower": [0, 1], "upper": [2, 5]}, n_features=2)
    np.testing.assert_array_equal(published.half_width, [1, 2])
    fallback = campaign_scaling({"lower": [0], "upper": [2]}, n_features=2)
    np.testing.assert_array_equal(fallback.half_width, [3, 3])


def test_a_different_model_spec_is_a_new_release(clinic):
    mine, dataset = clinic
    _obtain(mine, dataset)
    table = dataset_table(dataset=dataset)
    labels = (table.target() > np.median(table.target())).astype(int)
    release_obtain(
        mine=mine,
        dataset=dataset,
        trainer=LogisticRegression(n_features=dataset.schema.width),
        X=table.features(),
        y=labels,
    )
    assert PrivateRelease.objects.filter(owner=mine.owner).count() == 2


def test_a_default_mine_sends_a_private_gradient_with_the_noisy_count(
    platform, open_campaign, bob, bob_dataset, bob_client, wire, diabetes_task
):
    mine = bob_dataset.mine
    PrivacyBudget.objects.filter(mine=mine).delete()  # no settings at all: the defaults apply

    mine_train_once(mine=mine, client=bob_client)

    contribution = Contribution.objects.get(mine=mine, campaign_id=open_campaign["id"])
    release = PrivateRelease.objects.get(owner=bob)
    assert contribution.epsilon_spent == release.epsilon == Decimal("3")
    assert contribution.n_samples == release.statistics["n_samples"]
    submission = GradientSubmission.objects.get(campaign_id=open_campaign["id"])
    assert submission.n_samples == release.statistics["n_samples"]
    assert wire.sent_to("POST", GRADIENTS)


def test_with_packed_gradients_on_the_mine_sends_wire_format_v2_and_keeps_it_in_its_outbox(
    settings, platform, open_campaign, bob_mine, bob_dataset, bob_client, wire
):
    import json

    from mine_ui.mining import _outbox_path, _outbox_read
    from pysonar import SonarUnavailable
    from syft.obfuscation import pool_for
    from syft.packing import PackedArray
    from tests.pysonar.conftest import Rule

    settings.MINE_PACKED_GRADIENTS = True
    wire.rules.append(Rule("POST", GRADIENTS, "refuse", times=5))

    with pytest.raises(SonarUnavailable):
        mine_train_once(mine=bob_mine, client=bob_client)

    contribution = Contribution.objects.get(mine=bob_mine, campaign_id=open_campaign["id"])
    body = json.loads(wire.sent_to("POST", GRADIENTS)[0].body)
    assert body["gradient"]["format"] == "syft.encrypted/2"
    assert len(body["gradient"]["ciphertexts"]) == 1  # 11 values in one 1024-bit plaintext
    stored = _outbox_read(contribution)
    assert isinstance(stored, PackedArray)
    assert json.loads(_outbox_path(contribution).read_text())["gradient"] == body["gradient"]
    model = bob_client.model(open_campaign["id"])
    assert len(pool_for(model.public_key)) > 0  # refilled after the pass


def test_two_model_versions_use_one_release_and_the_second_costs_nothing(clinic):
    from mine_ui.mining import _gradient_compute
    from mine_ui.services import contribution_start
    from pysonar.models import CampaignModel
    from syft.encrypted import EncryptedArray
    from syft.keys import keypair_generate

    mine, dataset = clinic
    public_key, private_key = keypair_generate(1024, allow_insecure_for_tests=True)
    trainer = LinearRegression(n_features=10)
    used_weights = [np.zeros(11), np.linspace(-1, 1, 11)]
    gradients, contributions = [], []
    for version, weights in zip((4, 5), used_weights, strict=True):
        model = CampaignModel(
            campaign_id=9,
            version=version,
            algorithm=trainer.algorithm,
            n_features=10,
            n_classes=None,
            fit_intercept=True,
            shape=(11,),
            public_key=public_key,
            weights=EncryptedArray.encrypt(public_key, weights),
        )
        contribution = contribution_start(
            mine=mine,
            dataset=dataset,
            campaign={"id": 9, "name": "c", "current_version": version},
            n_samples=dataset.row_count,
        )
        gradient = _gradient_compute(
            mine=mine, contribution=contribution, model=model, trainer=trainer
        )
        gradients.append(gradient.decrypt(private_key))
        contributions.append(Contribution.objects.get(pk=contribution.pk))

    release = PrivateRelease.objects.get(owner=mine.owner)
    assert [c.epsilon_spent for c in contributions] == [Decimal("3"), Decimal("0")]
    assert {c.n_samples for c in contributions} == {release.statistics["n_samples"]}
    # Both versions' gradients are G·w − b from the one stored noisy (G, b).
    gram = np.asarray(release.statistics["gram"])
    moment = np.asarray(release.statistics["moment"])
    for gradient, weights in zip(gradients, used_weights, strict=True):
        expected = gram @ weights - moment
        np.testing.assert_allclose(gradient, expected, atol=1e-7 * np.abs(expected).max())
