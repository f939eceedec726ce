"""Evaluation: better gradients are accepted and paid, worse ones rejected, in arrival order."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from ledger.models import Entry
from sonar_ui import services
from sonar_ui.models import Campaign, GradientSubmission, Payout
from tests.sonar_ui.conftest import entries_of


def evaluate_all(campaign_id: int) -> None:
    while services.campaign_evaluate_next(campaign_id=campaign_id) is not None:
        pass


@pytest.fixture
def campaign(alice, diabetes, launched):
    return launched(alice, diabetes, hyperparameters={"learning_rate": 0.3}, target_accuracy=0.9)


def test_a_gradient_that_lowers_accuracy_is_rejected_and_unpaid(campaign, bob, diabetes, submit):
    X, y = diabetes.mines[0]
    good = submit(bob, campaign["id"], X, y).json()
    evaluate_all(campaign["id"])
    assert GradientSubmission.objects.get(pk=good["id"]).status == "accepted"

    # Labels flipped: the gradient points uphill.
    bad = submit(bob, campaign["id"], X, -y).json()
    evaluate_all(campaign["id"])

    bad_row = GradientSubmission.objects.get(pk=bad["id"])
    assert bad_row.status == "rejected"
    assert bad_row.payout_minor == 0
    assert "did not raise the accuracy above the best so far" in bad_row.reason
    assert bad_row.delta_ppm < 0
    assert not Payout.objects.filter(gradient=bad_row).exists()
    assert entries_of("gradient.rejected", gradient=bad["id"])


def test_gradients_are_evaluated_in_arrival_order_against_the_then_current_model(
    campaign, bob, carol, diabetes, submit
):
    (X1, y1), (X2, y2) = diabetes.mines
    first = submit(bob, campaign["id"], X1, y1).json()
    second = submit(carol, campaign["id"], X2, y2).json()
    assert first["base_version"] == second["base_version"] == 0

    evaluate_all(campaign["id"])

    a = GradientSubmission.objects.get(pk=first["id"])
    b = GradientSubmission.objects.get(pk=second["id"])
    assert a.status == "accepted"
    assert a.evaluated_version == 0
    # Carol's gradient was computed on v0 but applied to v1, the model current at its turn.
    assert b.evaluated_version == 1
    assert a.evaluated_at <= b.evaluated_at


def test_evaluating_an_already_evaluated_gradient_changes_nothing(campaign, bob, diabetes, submit):
    X, y = diabetes.mines[0]
    submit(bob, campaign["id"], X, y)
    evaluate_all(campaign["id"])
    entries = Entry.objects.count()
    payouts = Payout.objects.count()

    assert services.campaign_evaluate_next(campaign_id=campaign["id"]) is None
    assert Entry.objects.count() == entries
    assert Payout.objects.count() == payouts


def test_the_takeover_rule_rejects_a_second_gradient_until_others_are_accepted(
    alice, bob, carol, diabetes, launched, submit
):
    hyper = {"learning_rate": 0.2, "min_other_accepted": 1}
    campaign = launched(alice, diabetes, name="no takeover", hyperparameters=hyper)
    (X1, y1), (X2, y2) = diabetes.mines
    submit(bob, campaign["id"], X1, y1)
    evaluate_all(campaign["id"])
    again = submit(bob, campaign["id"], X1, y1).json()
    evaluate_all(campaign["id"])
    refused = GradientSubmission.objects.get(pk=again["id"])
    assert refused.status == "rejected"
    assert "after 1 accepted gradients from others" in refused.reason

    submit(carol, campaign["id"], X2, y2)
    evaluate_all(campaign["id"])
    third = submit(bob, campaign["id"], X1, y1).json()
    evaluate_all(campaign["id"])
    assert "from others" not in GradientSubmission.objects.get(pk=third["id"]).reason


def test_reaching_the_target_completes_the_campaign(alice, bob, diabetes, launched, submit):
    campaign = launched(alice, diabetes, name="easy target", target_accuracy=0.05,
                        hyperparameters={"learning_rate": 0.3})  # fmt: skip
    X, y = diabetes.mines[0]
    submit(bob, campaign["id"], X, y)
    evaluate_all(campaign["id"])
    row = Campaign.objects.get(pk=campaign["id"])
    assert row.status == "completed"
    assert row.completion_reason == "target accuracy reached"
    # The whole bounty is earned at once when one gradient jumps past the target: capped.
    assert row.spent_minor == row.bounty_minor


def test_a_passed_deadline_completes_settles_and_refunds(alice, bob, diabetes, launched, submit,
                                                        api_as):  # fmt: skip
    campaign = launched(alice, diabetes, name="short-lived",
                        deadline=(timezone.now() + timedelta(hours=1)).isoformat())  # fmt: skip
    later = timezone.now() + timedelta(hours=2)

    assert services.campaigns_expire(now=later) == [campaign["id"]]
    services.campaign_settle(campaign_id=campaign["id"])

    body = api_as(alice).get(f"/api/campaigns/{campaign['id']}/").json()
    assert body["status"] == "completed"
    assert body["completion_reason"] == "deadline passed"
    assert body["settled_at"]
    refund = Entry.objects.get(kind="bounty.refunded", campaign_id=campaign["id"])
    assert refund.payload["transfer"]["amount_minor"] == 100_000


def test_settling_twice_pays_once(alice, bob, diabetes, launched, submit):
    campaign = launched(alice, diabetes, name="settle twice")
    X, y = diabetes.mines[0]
    submit(bob, campaign["id"], X, y)
    evaluate_all(campaign["id"])
    services.campaign_close(campaign_id=campaign["id"], user=alice)
    services.campaign_settle(campaign_id=campaign["id"])
    entries = Entry.objects.count()
    services.campaign_settle(campaign_id=campaign["id"])
    assert Entry.objects.count() == entries
    assert Entry.objects.filter(kind="payout.settled", campaign_id=campaign["id"]).count() == 1


def test_gradients_waiting_at_completion_are_rejected_with_the_reason(
    alice, bob, diabetes, launched, submit
):
    campaign = launched(alice, diabetes, name="closing")
    X, y = diabetes.mines[0]
    waiting = submit(bob, campaign["id"], X, y).json()
    services.campaign_close(campaign_id=campaign["id"], user=alice)
    services.campaign_settle(campaign_id=campaign["id"])
    row = GradientSubmission.objects.get(pk=waiting["id"])
    assert row.status == "rejected"
    assert "closed by the owner" in row.reason


def test_a_long_campaign_keeps_accepting_gradients_past_the_fixed_point_headroom(
    alice, bob, diabetes, launched, submit, api_as
):
    # Each round grows the weights' fixed-point scale; at 1024 bits about ten rounds fill the
    # plaintext space unless accepted versions are re-encrypted at a fresh scale.
    campaign = launched(alice, diabetes, name="long", target_accuracy=0.9,
                        hyperparameters={"learning_rate": 0.05})  # fmt: skip
    X, y = diabetes.mines[0]
    for _ in range(16):
        sent = submit(bob, campaign["id"], X, y)
        assert sent.status_code == 202, sent.json()
        evaluate_all(campaign["id"])
        row = GradientSubmission.objects.get(pk=sent.json()["id"])
        assert row.status == "accepted", row.reason
    assert Campaign.objects.get(pk=campaign["id"]).current_version == 16


def test_a_gradient_whose_scale_no_longer_fits_is_rejected_with_a_reason(
    alice, bob, diabetes, launched, submit, monkeypatch
):
    # never refresh
    monkeypatch.setattr("capsule.services.REFRESH_BELOW_HEADROOM_BITS", 0)
    campaign = launched(alice, diabetes, name="stale", target_accuracy=0.9,
                        hyperparameters={"learning_rate": 0.05})  # fmt: skip
    X, y = diabetes.mines[0]
    verdicts = []
    for _ in range(16):
        sent = submit(bob, campaign["id"], X, y).json()
        evaluate_all(campaign["id"])
        verdicts.append(GradientSubmission.objects.get(pk=sent["id"]))
        if verdicts[-1].status == "rejected":
            break
    assert verdicts[-1].status == "rejected"
    assert "download the current model" in verdicts[-1].reason
    assert entries_of("gradient.rejected", gradient=verdicts[-1].id)


def _hostile_gradient(model_json: dict) -> dict:
    """Valid-looking ciphertexts (in range, invertible) that decrypt to huge random numbers."""
    import secrets
    from math import gcd

    from syft import keys

    public_key = keys.public_key_from_dict(model_json["public_key"], allow_insecure_for_tests=True)
    n = public_key.n
    values = []
    for _ in range(int(np.prod(model_json["shape"]))):
        c = secrets.randbelow(n * n - 2) + 2
        while gcd(c, n) != 1:
            c = secrets.randbelow(n * n - 2) + 2
        values.append(c)
    honest = model_json["weights"]
    digits = len(honest["ciphertexts"][0])
    return {**honest, "ciphertexts": [format(c, f"0{digits}x") for c in values]}


def test_a_gradient_that_cannot_be_decoded_is_rejected_and_the_next_one_is_evaluated(
    api_as, campaign, bob, carol, diabetes, submit
):
    import uuid

    client = api_as(bob)
    model = client.get(f"/api/campaigns/{campaign['id']}/model/").json()
    wallet = client.get("/api/wallet/").json()
    hostile = client.post(
        f"/api/campaigns/{campaign['id']}/gradients/",
        {
            "base_version": model["version"],
            "n_samples": 10,
            "payout_account": wallet["account"],
            "gradient": _hostile_gradient(model),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert hostile.status_code == 202, hostile.json()
    X, y = diabetes.mines[1]
    honest = submit(carol, campaign["id"], X, y).json()

    evaluate_all(campaign["id"])

    bad = GradientSubmission.objects.get(pk=hostile.json()["id"])
    assert bad.status == "rejected"
    assert "malformed" in bad.reason
    assert GradientSubmission.objects.get(pk=honest["id"]).status == "accepted"
