"""Creating and launching campaigns: the good path and every way it can be refused."""

from __future__ import annotations

import io

import pytest

from capsule.services import validation_data_summary
from ledger.models import Entry
from ledger.selectors import account_balance
from ledger.services import account_wallet_for_user
from sonar_ui.models import Campaign, ModelVersion


def create(client, dataset, **fields):
    body = {
        "name": dataset.name,
        "input_schema": dataset.input_schema,
        "output_schema": dataset.output_schema,
        "algorithm": dataset.algorithm,
        "bounty_minor": 100_000,
        "target_accuracy": 0.8,
        **fields,
    }
    return client.post("/api/campaigns/", body, format="json")


def upload(client, campaign_id, data: bytes):
    return client.post(
        f"/api/campaigns/{campaign_id}/validation-data/",
        {"file": io.BytesIO(data)},
        format="multipart",
    )


def test_launch_escrows_the_bounty_publishes_v0_and_measures_the_start(
    api_as, alice, diabetes, fund
):
    fund(alice, 250_000)
    client = api_as(alice)
    draft = create(client, diabetes, claimed_start_accuracy=0.4).json()
    assert draft["status"] == "draft"
    assert draft["public_key"] is None
    assert upload(client, draft["id"], diabetes.validation_csv()).status_code == 201

    body = client.post(f"/api/campaigns/{draft['id']}/launch/").json()

    assert body["status"] == "open"
    assert body["current_version"] == 0
    assert body["public_key"]["fingerprint"]
    # Zero weights predict the mean: R² is 0 (clipped), whatever the owner claimed.
    assert body["claimed_start_accuracy"] == 0.4
    assert body["start_accuracy"] == 0.0
    assert body["validation_data"]["rows"] == len(diabetes.y_val)
    assert account_balance(account=account_wallet_for_user(user=alice)) == 150_000
    kinds = list(
        Entry.objects.filter(campaign_id=draft["id"]).order_by("seq").values_list("kind", flat=True)
    )
    # The capsule publishes the key as it makes it; the launch's own entries come after the
    # slow cryptography, so the ledger's head is locked as briefly as possible.
    assert kinds == ["key.published", "campaign.launched", "bounty.escrowed", "model.published"]


def test_launch_with_too_little_money_says_how_much_and_changes_nothing(
    api_as, alice, diabetes, fund
):
    fund(alice, 40_000)
    client = api_as(alice)
    draft = create(client, diabetes).json()
    upload(client, draft["id"], diabetes.validation_csv())
    entries_before = Entry.objects.count()

    response = client.post(f"/api/campaigns/{draft['id']}/launch/")

    assert response.status_code == 402
    assert response.json() == {
        "error": "insufficient_funds",
        "detail": f"Launching '{diabetes.name}' needs 1,000.00 in your wallet; it holds 400.00. "
        "Deposit the difference first.",
    }
    assert Campaign.objects.get(pk=draft["id"]).status == "draft"
    assert not ModelVersion.objects.exists()
    assert Entry.objects.count() == entries_before
    assert account_balance(account=account_wallet_for_user(user=alice)) == 40_000


def test_launch_without_validation_data_is_refused(api_as, alice, diabetes, fund):
    fund(alice, 200_000)
    client = api_as(alice)
    draft = create(client, diabetes).json()
    response = client.post(f"/api/campaigns/{draft['id']}/launch/")
    assert response.status_code == 409
    assert "no validation data" in response.json()["detail"]
    assert Campaign.objects.get(pk=draft["id"]).status == "draft"


def test_validation_data_that_does_not_match_the_schema_is_refused(api_as, alice, diabetes):
    client = api_as(alice)
    draft = create(client, diabetes).json()
    lines = diabetes.validation_csv().decode().splitlines()
    cells = lines[5].split(",")
    cells[2] = "lots"
    lines[5] = ",".join(cells)
    response = upload(client, draft["id"], "\n".join(lines).encode())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_validation_data"
    assert "6" in response.json()["detail"]  # the line number (header is line 1)
    assert "bmi" in response.json()["detail"]
    assert validation_data_summary(campaign_id=draft["id"]) is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"input_schema": []}, "input_schema"),
        ({"input_schema": [{"name": "a", "type": "number"}]}, "unknown type"),
        ({"output_schema": [{"name": "y", "type": "bool"}]}, "regression"),
        ({"algorithm": "random_forest"}, "algorithm"),
        ({"bounty_minor": 0}, "bounty_minor"),
        ({"target_accuracy": 1.5}, "target_accuracy"),
        ({"hyperparameters": {"learning_rate": -1}}, "learning_rate"),
        ({"hyperparameters": {"momentum": 0.9}}, "momentum"),
        ({"initial_weights": [0.0, 1.0]}, "shape"),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
    ],
)
def test_an_invalid_draft_is_refused_with_the_reason(api_as, alice, diabetes, change, words):
    response = create(api_as(alice), diabetes, **change)
    assert response.status_code == 400, response.json()
    assert words in response.json()["detail"], response.json()
    assert not Campaign.objects.exists()


def test_only_data_scientists_create_campaigns(api_as, bob, diabetes):
    response = create(api_as(bob), diabetes)
    assert response.status_code == 403
    assert "data scientists" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_initial_weights_are_used_as_version_zero(api_as, alice, diabetes, fund):
    import numpy as np
    from sklearn.linear_model import LinearRegression

    X = np.vstack([X for X, _ in diabetes.mines])
    y = np.concatenate([y for _, y in diabetes.mines])
    fitted = LinearRegression().fit(X, y)
    weights = [*fitted.coef_.tolist(), float(fitted.intercept_)]
    fund(alice, 200_000)
    client = api_as(alice)
    draft = create(client, diabetes, initial_weights=weights, target_accuracy=0.9).json()
    upload(client, draft["id"], diabetes.validation_csv())
    body = client.post(f"/api/campaigns/{draft['id']}/launch/").json()
    expected = max(0.0, fitted.score(diabetes.X_val, diabetes.y_val))
    assert body["start_accuracy"] == pytest.approx(expected, abs=1e-5)


def test_the_launch_answers_202_and_says_the_payout_basis(api_as, alice, diabetes, fund):
    fund(alice, 200_000)
    client = api_as(alice)
    draft = create(client, diabetes, payout_basis="gap").json()
    assert draft["payout_basis"] == "gap"
    upload(client, draft["id"], diabetes.validation_csv())

    response = client.post(f"/api/campaigns/{draft['id']}/launch/")

    assert response.status_code == 202
    assert response.json()["payout_basis"] == "gap"
    assert Entry.objects.filter(kind="campaign.launched").get().payload["payout_basis"] == "gap"


def test_an_unknown_payout_basis_is_refused(api_as, alice, diabetes):
    response = create(api_as(alice), diabetes, payout_basis="median")
    assert response.status_code == 400
    assert "payout_basis" in str(response.json())
    assert not Campaign.objects.exists()


def test_a_start_already_at_the_target_returns_the_campaign_to_draft_with_the_reason(
    api_as, alice, diabetes, fund
):
    import numpy as np
    from sklearn.linear_model import LinearRegression

    X = np.vstack([X for X, _ in diabetes.mines])
    y = np.concatenate([y for _, y in diabetes.mines])
    fitted = LinearRegression().fit(X, y)
    fund(alice, 200_000)
    client = api_as(alice)
    weights = [*fitted.coef_.tolist(), float(fitted.intercept_)]
    draft = create(client, diabetes, initial_weights=weights, target_accuracy=0.3).json()
    upload(client, draft["id"], diabetes.validation_csv())

    body = client.post(f"/api/campaigns/{draft['id']}/launch/").json()

    assert body["status"] == "draft"
    assert "at or above the target 30.00%" in body["launch_error"]
    assert not ModelVersion.objects.exists()
    assert not Entry.objects.filter(kind__in=["campaign.launched", "bounty.escrowed"]).exists()
    assert account_balance(account=account_wallet_for_user(user=alice)) == 200_000
    # Only the owner reads why.
    assert api_as(alice).get(f"/api/campaigns/{draft['id']}/").json()["launch_error"]


def test_a_wallet_spent_while_the_capsule_worked_returns_the_campaign_to_draft(
    api_as, alice, diabetes, fund
):
    from sonar_ui import services

    fund(alice, 100_000)
    client = api_as(alice)
    draft = create(client, diabetes).json()
    upload(client, draft["id"], diabetes.validation_csv())
    Campaign.objects.filter(pk=draft["id"]).update(status="launching")
    # The owner's wallet is emptied by another launch meanwhile.
    from ledger import services as ledger

    ledger.transfer(
        debit=account_wallet_for_user(user=alice),
        credit=ledger.account_escrow_for_campaign(campaign_id=999),
        amount_minor=60_000,
        idempotency_key="elsewhere",
        memo="another campaign",
        kind="bounty.escrowed",
        campaign_id=999,
    )

    campaign = services.campaign_launch_finish(
        campaign_id=draft["id"], result={"ok": True, "blob": "0" * 64, "score": 0.0}
    )

    assert campaign.status == "draft"
    assert "Deposit the difference first" in campaign.launch_error
    assert not ModelVersion.objects.exists()
    assert account_balance(account=account_wallet_for_user(user=alice)) == 40_000


def test_a_duplicate_launch_result_changes_nothing(api_as, alice, diabetes, fund):
    from sonar_ui import services

    fund(alice, 200_000)
    client = api_as(alice)
    draft = create(client, diabetes).json()
    upload(client, draft["id"], diabetes.validation_csv())
    client.post(f"/api/campaigns/{draft['id']}/launch/")
    entries = Entry.objects.count()

    campaign = services.campaign_launch_finish(
        campaign_id=draft["id"], result={"ok": True, "blob": "0" * 64, "score": 0.0}
    )

    assert campaign.status == "open"
    assert Entry.objects.count() == entries
    assert ModelVersion.objects.count() == 1
