"""pysonar against a live Sonar: tokens, roles, mines, versions, payouts, events, watch, predict."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest

from accounts.models import ApiToken
from pysonar import SonarClient, SonarError, model_load, predict
from sonar_ui.models import GradientSubmission
from syft.metrics import r2_clipped
from syft.models import model_for
from tests.mining.conftest import client_for, diabetes_task, launch, platform  # noqa: F401


def _table(csv_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(io.BytesIO(csv_bytes), delimiter=",", skiprows=1, ndmin=2)
    return table[:, :-1], table[:, -1]


def _gradient(client: SonarClient, campaign_id: int, csv_bytes: bytes):
    model = client.model(campaign_id)
    X, y = _table(csv_bytes)
    linear = model_for(
        model.algorithm, n_features=model.n_features, n_classes=model.n_classes,
        fit_intercept=model.fit_intercept,
    )  # fmt: skip
    gradient = linear.encrypted_gradient(model.weights, linear.sufficient_statistics(X, y))
    return model, len(X), gradient.obfuscate()


def test_bob_manages_his_tokens_with_pysonar(live_server, bob):
    sonar = client_for(live_server.url, bob)
    made = sonar.token_create("home mine", expires_in_days=3)
    assert SonarClient(live_server.url, token=made["token"]).me()["username"] == "bob"
    names = [t["name"] for t in sonar.tokens()]
    assert "home mine" in names
    sonar.token_revoke(made["id"])
    with pytest.raises(SonarError) as caught:
        SonarClient(live_server.url, token=made["token"]).me()
    assert caught.value.status == 401
    assert not ApiToken.objects.filter(pk=made["id"]).exists()


def test_mallory_cannot_revoke_bobs_token_with_pysonar(live_server, bob, mallory):
    made = client_for(live_server.url, bob).token_create("bob's")
    with pytest.raises(SonarError) as caught:
        client_for(live_server.url, mallory).token_revoke(made["id"])
    assert caught.value.status == 404
    assert ApiToken.objects.filter(pk=made["id"]).exists()


def test_roles_with_pysonar(live_server, bob):
    sonar = client_for(live_server.url, bob)
    assert sonar.role_add("data scientist") == ["data scientist", "miner"]
    assert sonar.role_drop("miner") == ["data scientist"]
    with pytest.raises(SonarError) as caught:
        sonar.role_add("operator")
    assert caught.value.status == 400


def test_bob_runs_his_hosted_mine_with_pysonar(live_server, bob):
    sonar = client_for(live_server.url, bob)
    mine = sonar.mine_create(name="garage", payout_account=sonar.wallet()["account"])
    assert [m["name"] for m in sonar.mines()] == ["garage"]
    assert sonar.mine(mine["id"])["earnings_minor"] == 0
    assert sonar.mine_policy_update(mine["id"], auto_participate=True)["auto_participate"]
    budget = sonar.mine_budget_update(mine["id"], epsilon_per_contribution="0.5")
    assert budget["epsilon_per_contribution"].startswith("0.5")
    assert sonar.mine_budget(mine["id"])["epsilon_total"].startswith("10")
    assert sonar.mine_datasets(mine["id"]) == []
    assert sonar.mine_contributions(mine["id"]) == []


def test_a_campaign_from_launch_to_a_model_that_predicts_through_pysonar(
    platform,  # noqa: F811
    bob,
    carol,
):
    campaign = launch(platform)
    cid = campaign["id"]
    bob_sonar = client_for(platform.url, bob)
    model, n_samples, gradient = _gradient(bob_sonar, cid, platform.task.mine_csvs[0])
    sent = bob_sonar.gradient_submit(
        cid, base_version=model.version, n_samples=n_samples,
        payout_account=bob_sonar.wallet()["account"], gradient=gradient,
        idempotency_key=str(uuid.uuid4()),
    )  # fmt: skip
    assert GradientSubmission.objects.get(pk=sent["id"]).n_samples == n_samples
    judged = bob_sonar.gradient(sent["id"])
    assert judged["status"] == "accepted", judged

    alice = platform.alice
    assert [v["number"] for v in alice.versions(cid)] == [0, 1]
    assert len(bob_sonar.payouts(cid)) == 1
    assert client_for(platform.url, carol).payouts(cid) == []
    page = alice.events(cid)
    kinds = [e["kind"] for e in page["events"]]
    assert {"gradient.submitted", "gradient.accepted", "payout.accrued"} <= set(kinds)
    assert alice.events(cid, after=page["last_seq"])["events"] == []

    alice.campaign_close(cid)
    states = list(alice.campaign_watch(cid, wait_s=2, timeout_s=60))
    assert states[-1]["settled_at"] is not None
    delivered = model_load(alice.result_download(cid))  # no 409: watch waited for settlement

    X_val, y_val = _table(platform.task.validation_csv)
    assert r2_clipped(y_val, predict(delivered, X_val)) == pytest.approx(
        delivered.description["accuracy"], abs=1e-9
    )


def test_the_public_ledger_stats_and_profile_with_pysonar(live_server, alice, bob):
    sonar = client_for(live_server.url, alice)
    assert sonar.me_update(pgp_public_key="")["pgp_fingerprint"] == ""
    assert isinstance(sonar.stats(), dict)
    sonar.wallet_deposit(1000, idempotency_key=str(uuid.uuid4()))
    page = sonar.ledger_entries(after=0, limit=10)
    assert page["entries"]
    first = page["entries"][0]
    assert sonar.ledger_entry(first["seq"])["hash"] == first["hash"]
    assert "checkpoints" in sonar.ledger_checkpoints()
